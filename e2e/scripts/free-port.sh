# Sourced by scripts that start servers on loopback. Defines free_port: sets PORT to a port below the kernel's
# ephemeral range (so no outgoing connection can take it meanwhile) that port_in_use (defined by the caller: which
# protocols count) says is free and that was not picked before in this run. The caller defines die.
PICKED=" "
free_port() {
  local low=32768 p
  [[ -r /proc/sys/net/ipv4/ip_local_port_range ]] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  ((low > 11000)) || low=32768
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (low - 10000)))
    [[ "$PICKED" == *" $p "* ]] && continue
    port_in_use "$p" && continue
    PICKED+="$p "
    PORT=$p
    return 0
  done
  die "no free port on 127.0.0.1"
}
