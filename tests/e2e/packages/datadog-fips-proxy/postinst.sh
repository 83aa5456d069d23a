# Enable the service; (re)start it only when its configuration exists: the
# package ships datadog-fips-proxy.cfg.example, the operator creates the .cfg.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable datadog-fips-proxy.service >/dev/null 2>&1 || true
    if [ -f /etc/datadog-fips-proxy/datadog-fips-proxy.cfg ]; then
        systemctl restart datadog-fips-proxy.service || true
    else
        echo "No datadog-fips-proxy.cfg file detected, not starting the proxy"
    fi
fi
