#!/usr/bin/env bash
# Instala Ollama como en Colab: `curl -fsSL https://ollama.com/install.sh | sh`, instalando antes
# zstd si falta (Colab no lo trae). No hace nada si `ollama` ya está en el PATH.
# Códigos de salida: 0 instalado (o ya estaba), 1 fallo, 2 sin red hacia ollama.com.
set -euo pipefail

install_url="${OLLAMA_INSTALL_URL:-https://ollama.com/install.sh}"

if command -v ollama >/dev/null 2>&1; then
  where="$(command -v ollama)"
  # "ollama version is X", or without a server "Warning: client version is X".
  version="$(ollama --version 2>&1 | grep -o 'version is [^ ]*' | tail -n 1 | cut -d' ' -f3 || true)"
  echo "ollama ya está instalado ($where), versión ${version:-desconocida}. No hace falta instalar."
  if [[ "$version" == *kit-offline* ]]; then
    echo "Es el sustituto offline del kit (scripts/offline/ollama), no el Ollama real."
  fi
  exit 0
fi

as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "Error: hace falta ser root (o tener sudo) para: $*" >&2
    return 1
  fi
}

if ! command -v zstd >/dev/null 2>&1; then
  echo "Falta zstd (el instalador de Ollama lo necesita para descomprimir): apt-get install -y zstd"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Error: no hay apt-get; instala zstd con el gestor de paquetes de tu sistema." >&2
    exit 1
  fi
  as_root apt-get install -y zstd >/dev/null ||
    { as_root apt-get update >/dev/null && as_root apt-get install -y zstd >/dev/null; }
fi

if ! curl -fsSI --max-time 15 "$install_url" >/dev/null 2>&1; then
  echo "Sin red: no se llega a $install_url, así que Ollama no se puede instalar aquí." >&2
  echo "Los cuadernos funcionan igual con el sustituto offline del kit (scripts/offline/ollama)." >&2
  exit 2
fi

echo "Instalando: curl -fsSL $install_url | sh"
curl -fsSL "$install_url" | sh
echo "Instalado: $(command -v ollama)"
echo "Sin systemd (Colab) no queda ningún servicio en marcha: arráncalo con scripts/ollama_start.sh"
