# Like the real package: copy the shipped keyring to where apt's signed-by= points (the
# copy is not owned by the package, so it survives a removal).
mkdir -p /usr/share/keyrings
cp /opt/datadog-signing-keys/datadog-archive-keyring.gpg /usr/share/keyrings/datadog-archive-keyring.gpg
chmod 644 /usr/share/keyrings/datadog-archive-keyring.gpg
