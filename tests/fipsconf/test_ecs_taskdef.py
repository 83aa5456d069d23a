"""The ECS editor's helpers: image recognition, secrets, the layout of a changed file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest

from fipsconf.agent_images import image_repository, image_tag, is_agent_image
from fipsconf.ecs_taskdef import (
    DEFAULT_FIPS_PROXY_TAG,
    EcsRequest,
    edit_task_definition,
    is_fips_proxy_image,
    parse_task_definition,
)
from fipsconf.errors import DocumentError, SettingError
from fipsconf.proxy_releases import NEWEST
from fipsconf.redact import MASK, secret_values


@pytest.mark.parametrize(
    "image",
    [
        "datadog/agent",
        "datadog/agent:7",
        "datadog/agent:latest",
        "public.ecr.aws/datadog/agent:7.60.1",
        "gcr.io/datadoghq/agent:7",
        "docker.io/datadog/agent:7.60.1-jmx",
        "index.docker.io/datadog/agent",
        "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/datadog/agent:7",
        "registry.example:5000/datadog/agent:7",
        "gcr.io/datadoghq/agent@sha256:" + "ab" * 32,
        "Datadog/Agent:7",
    ],
)
def test_agent_images_are_recognised(image: str) -> None:
    assert is_agent_image(image)


@pytest.mark.parametrize(
    "image",
    [
        "datadog/cluster-agent:7",
        "datadog/fips-proxy:1.1.17",
        "datadog/dogstatsd:7",
        "nginx:1.27",
        "agent:7",
        "example/agent:7",
        "datadog/agent-dev:nightly",
    ],
)
def test_other_images_are_not_agents(image: str) -> None:
    assert not is_agent_image(image)


def test_image_parts() -> None:
    assert image_repository("registry.example:5000/datadog/fips-proxy:1.1.17") == (
        "registry.example:5000/datadog/fips-proxy"
    )
    assert image_tag("registry.example:5000/datadog/fips-proxy") is None
    assert image_tag("datadog/fips-proxy:1.1.17@sha256:00") == "1.1.17"
    assert is_fips_proxy_image("public.ecr.aws/datadog/fips-proxy:1.1.29")
    assert not is_fips_proxy_image("haproxy:2.8")


def test_the_default_tag_is_the_newest_release_known() -> None:
    # The vendor documentation's ECS example still runs datadog/fips-proxy:1.1.17 from Docker Hub
    assert DEFAULT_FIPS_PROXY_TAG == NEWEST.tag == "1.1.30"


@pytest.mark.parametrize(
    ("site", "image", "registry"),
    [
        ("ddog-gov.com", "public.ecr.aws/datadog/fips-proxy:1.1.30", "from ECR Public"),
        (None, "public.ecr.aws/datadog/fips-proxy:1.1.30", "from ECR Public"),
        ("datadoghq.com", "datadog/fips-proxy:1.1.30", "Docker Hub, as the site is datadoghq.com"),
    ],
)
def test_a_new_sidecar_says_which_image_and_why(
    site: Optional[str], image: str, registry: str
) -> None:
    env = [{"name": "DD_SITE", "value": site}] if site else []
    agent = {"name": "datadog-agent", "image": "public.ecr.aws/datadog/agent:7", "environment": env}
    text = json.dumps({"networkMode": "awsvpc", "containerDefinitions": [agent]}, indent=2)
    edit = edit_task_definition(parse_task_definition(text), EcsRequest())
    assert edit.sidecar_image == image
    assert edit.changes[0].startswith(
        f"added container fips-proxy ({image}: the newest release fips-setup knows (2026-08-11),"
    )
    assert registry in edit.changes[0]
    tagged = edit_task_definition(parse_task_definition(text), EcsRequest(image_tag="1.1.28"))
    assert tagged.sidecar_image == image.replace("1.1.30", "1.1.28")
    assert "the tag asked for" in tagged.changes[0]
    assert [a.code for a in tagged.advice if a.code == "proxy-image-outdated"] == [
        "proxy-image-outdated"
    ]


def test_secret_environment_values_are_found() -> None:
    data = {
        "containerDefinitions": [
            {
                "environment": [
                    {"name": "DD_API_KEY", "value": "k" * 32},
                    {"name": "DB_PASSWORD", "value": "abc"},
                    {"name": "GITHUB_TOKEN", "value": "ghp_x"},
                    {"name": "DD_SITE", "value": "ddog-gov.com"},
                    {"name": "DD_APP_KEY", "value": ""},
                    {"name": "x", "value": "y", "token": "tok1"},
                ],
                "secrets": [{"name": "DD_API_KEY", "valueFrom": "arn:aws:secretsmanager:x"}],
            }
        ]
    }
    assert secret_values(data) == {"k" * 32, "abc", "ghp_x", "tok1"}


def test_the_edit_keeps_secrets_in_the_file_and_masks_them_for_display() -> None:
    key = "0123456789abcdef0123456789abcdef"
    text = json.dumps(
        {
            "containerDefinitions": [
                {
                    "name": "datadog-agent",
                    "image": "datadog/agent:7",
                    "environment": [{"name": "DD_API_KEY", "value": key}],
                }
            ],
            "networkMode": "awsvpc",
        },
        indent=2,
    )
    edit = edit_task_definition(parse_task_definition(text), EcsRequest())
    assert key in edit.text
    assert key not in edit.mask(edit.text)
    assert f'"value": "{MASK}"' in edit.mask(edit.text)
    assert edit.secrets == frozenset({key})


def test_a_tab_indented_describe_output_moves_left_one_level() -> None:
    agent = {"name": "datadog-agent", "image": "datadog/agent:7"}
    agent_text = '{"name": "datadog-agent", "image": "datadog/agent:7", "environment": []}'
    text = (
        '{\n\t"taskDefinition": {\n\t\t"family": "dd",\n\t\t"networkMode": "awsvpc",'
        '\n\t\t"volumes": [\n\t\t\t{"name": "v"}\n\t\t],'
        f'\n\t\t"containerDefinitions": [\n\t\t\t{agent_text}\n\t\t],'
        '\n\t\t"revision": 2\n\t}\n}\n'
    )
    edit = edit_task_definition(parse_task_definition(text), EcsRequest())
    lines = edit.text.split("\n")
    assert lines[:6] == [
        "{",
        '\t"family": "dd",',
        '\t"networkMode": "awsvpc",',
        '\t"volumes": [',
        '\t\t{"name": "v"}',
        "\t],",
    ]
    # the one-line agent entry got contents: it stays one line
    assert lines[7].startswith('\t\t{"name": "datadog-agent", "image": "datadog/agent:7", ')
    assert '"environment": [{"name": "DD_FIPS_ENABLED", "value": "true"}, ' in lines[7]
    assert lines[8] == "\t\t{"  # the new sidecar, in the file's indentation
    assert json.loads(edit.text)["containerDefinitions"][0]["name"] == agent["name"]


def test_to_the_fips_agent_back_to_the_proxy_and_again() -> None:
    golden = Path(__file__).parent / "golden_ecs"
    proxied = (golden / "fips-agent-proxied-depends-on" / "input.json").read_text()
    fips = edit_task_definition(parse_task_definition(proxied), EcsRequest(fips_agent=True))
    back = edit_task_definition(parse_task_definition(fips.text), EcsRequest(from_fips_agent=True))
    containers = {c["name"]: c for c in json.loads(back.text)["containerDefinitions"]}
    agent = containers["datadog-agent"]
    assert agent["image"] == "public.ecr.aws/datadog/agent:7.66.1"
    assert {"name": "DD_FIPS_ENABLED", "value": "true"} in agent["environment"]
    assert containers["fips-proxy"]["essential"] is True
    assert back.changes[0] == (
        "datadog-agent: set image public.ecr.aws/datadog/agent:7.66.1"
        " (was public.ecr.aws/datadog/agent:7.66.1-fips)"
    )
    again = edit_task_definition(parse_task_definition(back.text), EcsRequest(fips_agent=True))
    assert again.text == fips.text


def test_the_fips_agent_takes_none_of_the_proxy_options() -> None:
    text = json.dumps({"containerDefinitions": [{"name": "a", "image": "datadog/agent:7"}]})
    for request, words in (
        (EcsRequest(fips_agent=True, image_tag="1.1.29"), "cannot be used with --fips-agent"),
        (EcsRequest(fips_agent=True, allow_bridge=True), "cannot be used with --fips-agent"),
        (EcsRequest(fips_agent=True, from_fips_agent=True), "ask for opposite moves"),
    ):
        with pytest.raises(SettingError, match=words):
            edit_task_definition(parse_task_definition(text), request)
    assert EcsRequest(image_tag="1.1.29").options_beside_fips_agent() == []


US2_TASK = {
    "family": "datadog-agent-task",
    "networkMode": "awsvpc",
    "containerDefinitions": [
        {
            "name": "datadog-agent",
            "image": "public.ecr.aws/datadog/agent:7",
            "environment": [{"name": "DD_SITE", "value": "us2.ddog-gov.com"}],
        }
    ],
}


def test_the_sidecar_for_a_us2_fed_agent_container_is_refused() -> None:
    doc = parse_task_definition(json.dumps(US2_TASK, indent=2))
    with pytest.raises(DocumentError) as caught:
        edit_task_definition(doc, EcsRequest())
    assert caught.value.code == "precondition"
    message = str(caught.value)
    assert message.startswith("DD_SITE on the Agent container 'datadog-agent': site is us2")
    assert "use the FIPS Agent, which sends to US2-FED's own intake (fips-setup ecs" in message
    assert "set DD_SITE to ddog-gov.com" in message


def test_the_fips_agent_for_a_us2_fed_agent_container_comes_with_a_note() -> None:
    doc = parse_task_definition(json.dumps(US2_TASK, indent=2))
    edit = edit_task_definition(doc, EcsRequest(fips_agent=True))
    assert "agent:7-fips" in edit.text
    site = [a for a in edit.advice if a.code.startswith("site")]
    assert [a.code for a in site] == ["site-us2-fed"]
    assert "'datadog-agent': site is us2.ddog-gov.com (US2-FED): the FIPS Agent" in site[0].message
