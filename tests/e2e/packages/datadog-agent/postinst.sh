# Own the configuration directory; enable the service; start it only when
# datadog.yaml exists (the real package does the same).
chown dd-agent:dd-agent /etc/datadog-agent
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable datadog-agent.service >/dev/null 2>&1 || true
    if [ -f /opt/datadog-agent/embedded/bin/dd-procmgrd ]; then  # 7.84+: the process manager path
        systemctl enable datadog-agent-procmgr.service >/dev/null 2>&1 || true
    fi
    if [ -f /etc/datadog-agent/datadog.yaml ]; then
        systemctl restart datadog-agent.service || true
    else
        echo "No datadog.yaml file detected, not starting the agent"
    fi
fi
