# The proxy runs as dd-agent: create the user and group if the Agent has not.
if ! getent group dd-agent >/dev/null; then
    groupadd --system dd-agent
fi
if ! getent passwd dd-agent >/dev/null; then
    useradd --system --gid dd-agent --home-dir /opt/datadog-agent --no-create-home \
        --shell /usr/sbin/nologin --comment "Datadog Agent" dd-agent
fi
