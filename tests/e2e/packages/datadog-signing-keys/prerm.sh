# Nothing to stop; the keyring copy stays (the real package leaves it too).
:
