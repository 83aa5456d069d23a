# On removal (not upgrade): stop and disable the service.
if [ -d /run/systemd/system ]; then
    systemctl stop datadog-agent.service || true
    systemctl disable datadog-agent.service >/dev/null 2>&1 || true
    systemctl disable datadog-agent-procmgr.service >/dev/null 2>&1 || true  # bound: stopped above
fi
