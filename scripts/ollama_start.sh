#!/usr/bin/env bash
# Arranca Ollama como en Colab: `nohup ollama serve > registro 2>&1 &`, guarda el pid y espera a
# que /api/version responda. Si ya estaba en marcha no arranca otro. Respeta OLLAMA_HOST.
# Variables: OLLAMA_START_TIMEOUT (segundos de espera, 60 por defecto), OLLAMA_LOG, OLLAMA_PID_FILE.
set -euo pipefail
# shellcheck source=scripts/ollama_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ollama_common.sh"

url="$(ollama_url)"
timeout_s="${OLLAMA_START_TIMEOUT:-60}"

if ! command -v ollama >/dev/null 2>&1; then
  echo "Error: ollama no está instalado (no está en el PATH). Instálalo con scripts/ollama_install.sh" >&2
  exit 1
fi

describe() {
  local version="$1"
  if is_offline_version "$version"; then
    echo "versión $version: servidor local del kit, sin conexión; no es Ollama"
  else
    echo "versión $version"
  fi
}

pid="$(read_pid_file)"
if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
  echo "Archivo pid obsoleto ($OLLAMA_PID_FILE: el pid $pid ya no existe): lo borro."
  rm -f "$OLLAMA_PID_FILE"
  pid=""
elif [[ -n "$pid" ]] && ! pid_is_ollama_serve "$pid"; then
  echo "Archivo pid obsoleto ($OLLAMA_PID_FILE: el pid $pid es otro proceso, «$(pid_cmdline "$pid")», no ollama serve): no lo toco; borro el archivo."
  rm -f "$OLLAMA_PID_FILE"
  pid=""
fi

state="$(ollama_port_state)"
if [[ "$state" == "ollama" ]]; then
  version="$(ollama_version)"
  if [[ -n "$pid" ]]; then
    echo "ollama serve ya está en marcha (pid $pid) en $url ($(describe "$version")). No arranco otro."
  else
    echo "Ya hay un Ollama respondiendo en $url ($(describe "$version")) que este guion no arrancó: lo uso tal cual."
  fi
  exit 0
fi
if [[ "$state" == "other" ]]; then
  holder="$(ollama_port_holder)"
  echo "Error: el puerto $(ollama_port) está ocupado por otro proceso que no es Ollama${holder:+ ($holder)}." >&2
  echo "Libéralo, o usa otro puerto: export OLLAMA_HOST=127.0.0.1:$(($(ollama_port) + 1))" >&2
  exit 1
fi
if [[ -n "$pid" ]]; then
  echo "El pid $pid del archivo sigue vivo pero no responde en $url: lo paro antes de arrancar."
  kill "$pid" 2>/dev/null || true
  rm -f "$OLLAMA_PID_FILE"
fi

mkdir -p "$(dirname "$OLLAMA_LOG")" "$(dirname "$OLLAMA_PID_FILE")"
echo "Arrancando: nohup ollama serve > $OLLAMA_LOG 2>&1 &"
nohup ollama serve >"$OLLAMA_LOG" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$OLLAMA_PID_FILE"

show_log_tail() {
  echo "--- últimas líneas de $OLLAMA_LOG ---" >&2
  tail -n 20 "$OLLAMA_LOG" >&2 || true
  echo "---" >&2
}

deadline=$((SECONDS + timeout_s))
while ((SECONDS < deadline)); do
  if version="$(ollama_version)"; then
    echo "Ollama responde en $url (pid $pid, $(describe "$version"))."
    echo "Registro: $OLLAMA_LOG · pid: $OLLAMA_PID_FILE"
    exit 0
  fi
  if ! pid_alive "$pid"; then
    rm -f "$OLLAMA_PID_FILE"
    echo "Error: ollama serve terminó nada más arrancar." >&2
    show_log_tail
    exit 1
  fi
  sleep 0.3
done

echo "Error: ollama serve no respondió en $url tras ${timeout_s} s: lo paro." >&2
kill "$pid" 2>/dev/null || true
for _ in $(seq 1 20); do
  pid_alive "$pid" || break
  sleep 0.25
done
if pid_alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
rm -f "$OLLAMA_PID_FILE"
show_log_tail
exit 1
