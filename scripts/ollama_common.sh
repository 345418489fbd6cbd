#!/usr/bin/env bash
# Funciones comunes de los guiones de Ollama (se cargan con `source`, no se ejecutan solas).
# Leen OLLAMA_HOST como lo lee Ollama: «host:puerto», esquema y puerto opcionales,
# por defecto 127.0.0.1:11434; 0.0.0.0 (escuchar en todas partes) se alcanza por 127.0.0.1.

KIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where the pid file and the server log live (ignored folder of the kit).
OLLAMA_KIT_DIR="${OLLAMA_KIT_DIR:-$KIT_ROOT/.cache/ollama}"
OLLAMA_PID_FILE="${OLLAMA_PID_FILE:-$OLLAMA_KIT_DIR/ollama.pid}"
OLLAMA_LOG="${OLLAMA_LOG:-$OLLAMA_KIT_DIR/ollama.log}"

# The base URL clients use, from OLLAMA_HOST.
ollama_url() {
  local raw="${OLLAMA_HOST:-}" scheme="http" hostport host port
  raw="${raw//[[:space:]]/}"
  if [[ -z "$raw" ]]; then
    echo "http://127.0.0.1:11434"
    return
  fi
  if [[ "$raw" == *"://"* ]]; then
    scheme="${raw%%://*}"
    raw="${raw#*://}"
  fi
  hostport="${raw%%/*}"
  if [[ "$hostport" == *:* ]]; then
    host="${hostport%:*}"
    port="${hostport##*:}"
  else
    host="$hostport"
    port=""
  fi
  if [[ -z "$port" ]]; then
    if [[ "$scheme" == "https" ]]; then port=443; else port=11434; fi
  fi
  if [[ -z "$host" || "$host" == "0.0.0.0" ]]; then host="127.0.0.1"; fi
  echo "$scheme://$host:$port"
}

# The port of the URL.
ollama_port() {
  local url
  url="$(ollama_url)"
  echo "${url##*:}"
}

# Prints the version /api/version answers; fails when nothing answers as Ollama does.
ollama_version() {
  local body
  body="$(curl -sS --max-time 2 "$(ollama_url)/api/version" 2>/dev/null)" || return 1
  [[ "$body" =~ \"version\":\"([^\"]+)\" ]] || return 1
  echo "${BASH_REMATCH[1]}"
}

# "free" (nothing listens), "ollama" (answers /api/version) or "other" (something else).
ollama_port_state() {
  local code=0
  if ollama_version >/dev/null; then
    echo "ollama"
    return
  fi
  curl -sS -o /dev/null --max-time 2 "$(ollama_url)/" 2>/dev/null || code=$?
  if [[ "$code" == 7 ]]; then echo "free"; else echo "other"; fi
}

# Who holds the port (best effort: ss, then lsof), or nothing.
ollama_port_holder() {
  local port
  port="$(ollama_port)"
  if command -v ss >/dev/null 2>&1; then
    ss -ltnpH "sport = :$port" 2>/dev/null | sed -n 's/.*users:((\(.*\))).*/\1/p' | head -n 1
  elif command -v lsof >/dev/null 2>&1; then
    lsof -nP -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | awk 'NR==2 {print $1 " pid=" $2}'
  fi
}

# True when the pid is a running process.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null
}

# The command line of a pid, arguments separated by spaces (for messages), or nothing.
pid_cmdline() {
  if [[ -r "/proc/$1/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$1/cmdline" | sed 's/ $//'
  else
    ps -o args= -p "$1" 2>/dev/null || true
  fi
}

# True when the pid is a running `ollama serve` — the real one (…/ollama serve) or the kit's
# stand-in (… cli.ts ollama serve): an argument named ollama followed by "serve". A pid file
# can be stale and its number reused by any other process; this is checked before signalling.
pid_is_ollama_serve() {
  pid_alive "${1:-}" || return 1
  local -a args=()
  if [[ -r "/proc/$1/cmdline" ]]; then
    mapfile -d '' -t args <"/proc/$1/cmdline"
  else
    read -r -a args <<<"$(ps -o args= -p "$1" 2>/dev/null)"
  fi
  local i
  for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    if [[ "${args[i]##*/}" == "ollama" && "${args[i + 1]}" == "serve" ]]; then return 0; fi
  done
  return 1
}

# The base URL a running process serves, from the OLLAMA_HOST it was started with
# (/proc/<pid>/environ), or "-" when that cannot be read (another user's process, no /proc).
pid_ollama_url() {
  local env_file="/proc/$1/environ" line host=""
  if [[ ! -r "$env_file" ]]; then
    echo "-"
    return
  fi
  while IFS= read -r -d '' line; do
    if [[ "$line" == OLLAMA_HOST=* ]]; then host="${line#OLLAMA_HOST=}"; fi
  done <"$env_file" 2>/dev/null || true
  OLLAMA_HOST="$host" ollama_url
}

# The pid in the pid file, or nothing.
read_pid_file() {
  if [[ -f "$OLLAMA_PID_FILE" ]]; then
    tr -dc '0-9' <"$OLLAMA_PID_FILE"
  fi
}

# Whether a version string is the kit's offline stand-in.
is_offline_version() {
  [[ "$1" == *kit-offline* ]]
}
