# On removal (not upgrade): stop and disable the service.
if [ -d /run/systemd/system ]; then
    systemctl stop datadog-fips-proxy.service || true
    systemctl disable datadog-fips-proxy.service >/dev/null 2>&1 || true
fi
