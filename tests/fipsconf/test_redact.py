"""Secrets are masked in every kind of text fips-setup shows."""

from __future__ import annotations

from typing import Any

import pytest

from fipsconf.errors import DocumentError
from fipsconf.redact import (
    MASK,
    SECRET_NAMES,
    Redactor,
    holds_secret,
    is_dual_shipping_key,
    is_secret_key,
    secret_values,
)
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_key: abc123def456 # prod key", f"api_key: {MASK} # prod key"),
        ("  app_key: 'x1y2z3w4'", f"  app_key: {MASK}"),
        ("- logs_api_key: s3cr3tvalue", f"- logs_api_key: {MASK}"),
        ("DD_API_KEY=abcdef123456 datadog-agent run", f"DD_API_KEY={MASK} datadog-agent run"),
        ('{"api_key": "ab\\"cd", "site": "x"}', f'{{"api_key": "{MASK}", "site": "x"}}'),
        ("proxy: https://user:hunter22@proxy:3128", f"proxy: https://user:{MASK}@proxy:3128"),
        ("token: t0k3n\r\nsite: ddog-gov.com\r\n", f"token: {MASK}\r\nsite: ddog-gov.com\r\n"),
        ("api_key:\nsite: x", "api_key:\nsite: x"),
        ("api_key: ~", "api_key: ~"),
        ("site: ddog-gov.com", "site: ddog-gov.com"),
    ],
)
def test_secret_looking_text_is_masked(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_a_registered_value_is_masked_anywhere() -> None:
    redactor = Redactor()
    redactor.register("0123456789abcdef")
    assert redactor.redact("error near 0123456789abcdef!") == f"error near {MASK}!"


def test_values_of_secret_keys_are_found_in_parsed_data() -> None:
    redactor = Redactor()
    redactor.register_from({"api_key": "k" * 32, "logs_config": {"api_key": "l" * 32}, "x": "y"})
    assert redactor.redact("k" * 32 + " " + "l" * 32 + " y") == f"{MASK} {MASK} y"


def test_short_values_are_not_registered() -> None:
    redactor = Redactor()
    redactor.register("ab")
    assert redactor.redact("abc ab") == "abc ab"


def test_data_is_redacted_recursively_without_touching_other_types() -> None:
    redactor = Redactor()
    redactor.register("supersecret")
    data = {"msg": "supersecret", "list": ["a supersecret", 3, True, None]}
    assert redactor.redact_data(data) == {"msg": MASK, "list": [f"a {MASK}", 3, True, None]}


@pytest.mark.parametrize("name", ["api_key", "APP_KEY", "logs_api_key", "password", "auth_token"])
def test_secret_key_names(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["site", "api_key_file_path_x", "hostname", "tokenizer"])
def test_ordinary_key_names(name: str) -> None:
    assert not is_secret_key(name)


@pytest.mark.parametrize(
    "text",
    ["agent --api-key=abcd1234abcd", "curl -H DD-API-KEY=abcd1234abcd", "x --app-key=abcd1234abcd"],
)
def test_command_line_options_are_masked(text: str) -> None:
    assert "abcd1234abcd" not in Redactor().redact(text)


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("redis-server *:6379 --requirepass hunter2secret", "redis-server *:6379 --requirepass ********"),
        ("myapp --api-key abcdef123 --port 5", "myapp --api-key ******** --port 5"),
        ("svc --password s3cret --token  tk12345", "svc --password ******** --token  ********"),
        ("curl -H Authorization: Bearer eyJhbGciOi.abc", "curl -H Authorization: Bearer ********"),
        ('curl -H "Authorization: Basic dXNlcjpwYXNz"', 'curl -H "Authorization: Basic ********"'),
        ("worker --auth xyz123abc", "worker --auth ********"),
        # no secret: left alone
        ("agent run --pass-through", "agent run --pass-through"),
        ("python3 -m http.server 9806 --bind 127.0.0.1", "python3 -m http.server 9806 --bind 127.0.0.1"),
        ("vault --secret-file /etc/vault/secret.hcl", "vault --secret-file /etc/vault/secret.hcl"),
    ],
)  # fmt: skip
def test_secrets_in_other_processes_command_lines(line: str, shown: str) -> None:
    assert Redactor().redact(line) == shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_key: ab#cd", f"api_key: {MASK}"),
        ("api_key: abcd  \t# a note", f"api_key: {MASK}  \t# a note"),
        ("api_key: a b c   ", f"api_key: {MASK}"),
        ("site: x\rapi_key: abcdef\rhost: h", f"site: x\rapi_key: {MASK}\rhost: h"),
        ("x-y-DD_API_KEY=abcdefgh rest", f"x-y-DD_API_KEY={MASK} rest"),
        ("see x.y+z://user:pw1234@host/", f"see x.y+z://user:{MASK}@host/"),
    ],
)
def test_values_comments_and_line_ends_are_told_apart(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_every_line_with_a_secret_is_masked_whatever_their_number() -> None:
    text = "".join(f"app{i}_token: value{i}\nsite: s{i}\n" for i in range(500))
    masked = Redactor().redact(text)
    assert masked.count(MASK) == 500 and "value" not in masked and "site: s499" in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Latin-1 (a no-break space, as in the vendor's datadog.yaml.example)
        ("# see\xa0below\nAPI_KEY: abcd1234\n", f"# see\xa0below\nAPI_KEY: {MASK}\n"),
        ("café: 1\npassword: hunter22\n", f"café: 1\npassword: {MASK}\n"),
        # beyond Latin-1, and characters that lower to more than one
        ("名前: x\nToken: t0k3n99\n", f"名前: x\nToken: {MASK}\n"),
        ("İİ: x\napi-key: abcd1234 # n\n", f"İİ: x\napi-key: {MASK} # n\n"),
        ("x: \u212a\nsecret: s3cr3t99\n", f"x: \u212a\nsecret: {MASK}\n"),
    ],
)
def test_secrets_are_found_in_text_of_any_alphabet(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


# -- what is a secret: every kind, in every notation ---------------------------

DUAL = "fedcba9876543210fedcba9876543210"
DUAL2 = "0011223344556677889900aabbccddee"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # dual-shipping keys, YAML block form (the datadog.yaml.example's own layout)
        (
            f'additional_endpoints:\n  "https://app.ddog-gov.com":\n  - {DUAL}\n  - "{DUAL2}" # b\nsite: x\n',
            f'additional_endpoints:\n  "https://app.ddog-gov.com":\n  - {MASK}\n  - "{MASK}" # b\nsite: x\n',
        ),
        # under apm_config, items indented deeper, CRLF line ends
        (
            f"apm_config:\r\n  additional_endpoints:\r\n    https://trace.x:\r\n      - {DUAL}\r\n  enabled: true\r\n",
            f"apm_config:\r\n  additional_endpoints:\r\n    https://trace.x:\r\n      - {MASK}\r\n  enabled: true\r\n",
        ),
        # flow form on one line, and JSON
        (
            f'process_config:\n  additional_endpoints: {{"https://p.x": ["{DUAL}", {DUAL2}]}}\n',
            f'process_config:\n  additional_endpoints: {{"https://p.x": ["{MASK}", {MASK}]}}\n',
        ),
        (
            f'{{"additional_endpoints": {{"https://x": ["{DUAL}"]}}, "site": "s"}}',
            f'{{"additional_endpoints": {{"https://x": ["{MASK}"]}}, "site": "s"}}',
        ),
        # the logs form: a list of objects, each with api_key
        (
            f"logs_config:\n  additional_endpoints:\n  - api_key: {DUAL}\n    Host: intake.x\n    Port: 443\n",
            f"logs_config:\n  additional_endpoints:\n  - api_key: {MASK}\n    Host: intake.x\n    Port: 443\n",
        ),
        # environment variables: an environment file, a shell line, an ECS entry on one line
        (
            f"DD_ADDITIONAL_ENDPOINTS='{{\"https://app.x\": [\"{DUAL}\", \"{DUAL2}\"]}}'\n",
            f"DD_ADDITIONAL_ENDPOINTS='{{\"https://app.x\": [\"{MASK}\", \"{MASK}\"]}}'\n",
        ),
        (f"DD_APM_ADDITIONAL_ENDPOINTS={DUAL}\n", f"DD_APM_ADDITIONAL_ENDPOINTS={MASK}\n"),
        (
            f'{{"name": "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS", "value": "[\\"{DUAL}\\"]"}}',
            f'{{"name": "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS", "value": "[\\"{MASK}\\"]"}}',
        ),
        # application keys, quoted values, passwords in URLs (proxies, mirrors)
        ("DD_APP_KEY=\"abcd1234abcd\" run", f'DD_APP_KEY="{MASK}" run'),
        ("DD_APP_KEY='abcd1234", f"DD_APP_KEY='{MASK}"),
        ("  appKey: 'x1y2z3w4'", f"  appKey: {MASK}"),
        ("proxy:\n  http: http://u:p4ss@proxy:3128\n", f"proxy:\n  http: http://u:{MASK}@proxy:3128\n"),
        ("DD_REPO_URL=https://ci:t0ken@mirror/apt", f"DD_REPO_URL=https://ci:{MASK}@mirror/apt"),
        # HTTP credentials shaped like credentials
        ("x Basic dXNlcjpwYXNzd29yZA== y", f"x Basic {MASK} y"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", f"Bearer {MASK}"),
        ("Bearer 0a1b2c3d4e5f6a7b", f"Bearer {MASK}"),
    ],
)  # fmt: skip
def test_every_kind_of_secret_is_masked(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "## Basic Configuration ##",
        "## Set this parameter to true to have DogStatsD collects basic statistics (count/last seen)",
        "  apiKeyExistingSecret: datadog-secret",
        "  appKeyExistingSecret: datadog-app",
        "clusterAgent.tokenExistingSecret: dca-token",
        "existingSecret: my-secret",
        "secretName: datadog-credentials",
        "#   http: http://<USERNAME>:<PASSWORD>@<PROXY_SERVER_FOR_HTTP>:<PORT>",
        "the cluster Agent uses a bearer token for this",
        "Basic auth is off; Basic statistics: on",
        '# additional_endpoints:\n#   "https://trace.agent.datadoghq.com":\n#   - apikey2\n',
        "additional_endpoints: {}\nsite: ddog-gov.com\n- not a key\n",
        "api_key:\napp_key: ~\n",
        "https://app.ddog-gov.com/api/v1/validate",
    ],
)
def test_ordinary_words_names_and_placeholders_are_not_secrets(text: str) -> None:
    assert Redactor().redact(text) == text


def test_a_block_ends_where_its_indentation_ends() -> None:
    text = (
        "logs_config:\n  additional_endpoints:\n  - api_key: k1k1k1k1\n\n  # a note\n"
        "    - k2k2k2k2\n  logs_dd_url: x\n  extra:\n  - kept-item\n"
    )
    masked = Redactor().redact(text)
    assert "k1k1k1k1" not in masked and "k2k2k2k2" not in masked
    assert "  - kept-item\n" in masked and "# a note" in masked


@pytest.mark.parametrize(
    "name", ["apiKeyExistingSecret", "existingSecret", "token_existing_secret"]
)
def test_names_of_kubernetes_secrets_are_not_secret_keys(name: str) -> None:
    assert not is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    [
        "additional_endpoints",
        "DD_ADDITIONAL_ENDPOINTS",
        "DD_APM_ADDITIONAL_ENDPOINTS",
        "additionalEndpoints",
    ],
)
def test_dual_shipping_names(name: str) -> None:
    assert is_dual_shipping_key(name) and not is_dual_shipping_key(name + "_file")


def test_the_vendors_examples_show_no_secret_where_there_is_none(shared_fixture: Any) -> None:
    for name in ("datadog-agent/datadog.yaml.example", "datadog-agent/datadog.yaml.example-7.45"):
        text = shared_fixture(name).read_text(encoding="utf-8")
        assert Redactor().redact(text) == text, name
    values = shared_fixture("helm/values-fips-excerpt.yaml").read_text(encoding="utf-8")
    assert Redactor().redact(values) == values


def test_the_repositorys_own_example_masks_its_api_key_and_nothing_else() -> None:
    text = (REPO / "docs/examples/datadog.yaml").read_text(encoding="utf-8")
    assert "## Basic Configuration ##" in text
    masked = Redactor().redact(text)
    changed = [(a, b) for a, b in zip(text.splitlines(), masked.splitlines()) if a != b]
    assert changed == [("api_key: 0123456789abcdef0123456789abcdef", f"api_key: {MASK}")]


# -- finding the values in parsed documents ------------------------------------


def test_secret_values_of_a_datadog_yaml() -> None:
    data = {
        "api_key": "a" * 32,
        "app_key": "b" * 40,
        "additional_endpoints": {"https://app.x": [DUAL, DUAL2], "https://y": "single"},
        "apm_config": {"additional_endpoints": {"https://t": ["apmkey1"]}},
        "logs_config": {
            "additional_endpoints": [{"api_key": "logskey1", "Host": "h", "Port": 443}]
        },
        "proxy": {"http": "http://u:pw@p:3128"},
        "site": "ddog-gov.com",
        "secret_backend_command": "/usr/bin/fetch",
        "token": True,
        "password": None,
    }
    assert secret_values(data) == {
        "a" * 32, "b" * 40, DUAL, DUAL2, "single", "apmkey1", "logskey1",
    }  # fmt: skip


def test_secret_values_of_environment_entries() -> None:
    env = [
        {"name": "DD_API_KEY", "value": "k" * 32},
        {"name": "DD_APP_KEY", "value": "ak12"},
        {"name": "DD_ADDITIONAL_ENDPOINTS", "value": f'{{"https://x": ["{DUAL}"]}}'},
        {"name": "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS", "value": '[{"api_key": "lk12"}]'},
        {"name": "DD_APM_ADDITIONAL_ENDPOINTS", "value": "not json"},
        {"name": "DD_SITE", "value": "ddog-gov.com"},
        {"name": "DD_API_KEY", "valueFrom": {"secretKeyRef": {"name": "dd", "key": "api-key"}}},
    ]
    assert secret_values({"env": env}) == {"k" * 32, "ak12", DUAL, "lk12", "not json"}


def test_hostile_json_in_a_dual_shipping_value_is_all_secret() -> None:
    deep = "[" * 100000 + "]" * 100000
    assert secret_values({"DD_ADDITIONAL_ENDPOINTS": deep}) == {deep}


def test_more_secret_values_than_can_be_masked_in_time_are_refused() -> None:
    data = {"additional_endpoints": {"https://x": [f"key{i:05}" for i in range(300)]}}
    with pytest.raises(DocumentError, match="300 different secret values"):
        secret_values(data)


def test_holds_secret_sees_values_and_shapes() -> None:
    assert holds_secret("x abcd1234 y", {"abcd1234"})
    assert holds_secret("proxy: http://u:p4ss@h:1\n", set())
    assert not holds_secret("## Basic Configuration ##\nsite: x\n", {"zzzz9999"})


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_each_secret_name_is_one_in_every_spelling(name: str) -> None:
    words = name.split("_")
    for spelled in ("_".join(words), "-".join(words), "".join(words), name.upper()):
        assert is_secret_key(spelled) and is_secret_key(f"DD_LOGS_{spelled}"), spelled
        assert not is_secret_key(f"{spelled}_file"), spelled
