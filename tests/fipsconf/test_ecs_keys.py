"""CloudFormation's spelling of container definitions, to the ECS API's and back."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fipsconf.ecs_keys import is_cloudformation, to_api_spelling, to_cloudformation_spelling
from fipsconf.errors import DocumentError

CLOUDFORMATION: list[Any] = [
    {
        "Name": "app",
        "Image": {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app:1"},
        "DockerLabels": {"Name": "kept", "com.datadoghq.tags.env": "prod"},
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": {"Ref": "Logs"}}},
        "DependsOn": [{"ContainerName": "datadog-agent", "Condition": "START"}],
        "VolumesFrom": [{"SourceContainer": "datadog-agent", "ReadOnly": True}],
        "Links": ["datadog-agent"],
    },
    {
        "Name": "datadog-agent",
        "Image": "public.ecr.aws/datadog/agent:7",
        "Environment": [{"Name": "DD_SITE", "Value": "ddog-gov.com"}],
        "Secrets": [{"Name": "DD_API_KEY", "ValueFrom": {"Ref": "ApiKey"}}],
        "EnvironmentFiles": [{"Type": "s3", "Value": "arn:aws-us-gov:s3:::bucket/dd.env"}],
        "PortMappings": [{"ContainerPort": 8126, "HostPort": 8126, "Protocol": "tcp"}],
        "MemoryReservation": 256,
        "Essential": True,
    },
]


def test_the_api_spelling_of_what_the_editor_reads() -> None:
    api = to_api_spelling(copy.deepcopy(CLOUDFORMATION))
    app, agent = api
    assert (app["name"], agent["image"], agent["memoryReservation"]) == (
        "app",
        "public.ecr.aws/datadog/agent:7",
        256,
    )
    assert app["dependsOn"] == [{"containerName": "datadog-agent", "condition": "START"}]
    assert app["volumesFrom"] == [{"sourceContainer": "datadog-agent", "readOnly": True}]
    assert app["links"] == ["datadog-agent"]
    assert agent["environment"] == [{"name": "DD_SITE", "value": "ddog-gov.com"}]
    assert agent["secrets"] == [{"name": "DD_API_KEY", "valueFrom": {"Ref": "ApiKey"}}]
    assert agent["environmentFiles"] == [
        {"type": "s3", "value": CLOUDFORMATION[1]["EnvironmentFiles"][0]["Value"]}
    ]
    assert agent["portMappings"] == [{"containerPort": 8126, "hostPort": 8126, "protocol": "tcp"}]
    # user data and functions keep their keys; properties the editor never reads too
    assert app["image"] == CLOUDFORMATION[0]["Image"]
    assert app["DockerLabels"] == {"Name": "kept", "com.datadoghq.tags.env": "prod"}
    assert app["LogConfiguration"] == CLOUDFORMATION[0]["LogConfiguration"]
    assert list(agent) == [
        "name", "image", "environment", "secrets", "environmentFiles", "portMappings",
        "memoryReservation", "essential",
    ]  # fmt: skip


def test_there_and_back_is_the_same() -> None:
    assert to_cloudformation_spelling(to_api_spelling(CLOUDFORMATION)) == CLOUDFORMATION


@pytest.mark.parametrize(
    ("containers", "cloudformation"),
    [
        (CLOUDFORMATION, True),
        ([{"name": "a", "image": "b"}], False),
        ([{"Name": "a", "image": "b"}], False),  # mixed: not CloudFormation's
        (["x"], False),
        ([], False),
    ],
)
def test_the_spelling_is_recognised(containers: list[Any], cloudformation: bool) -> None:
    assert is_cloudformation(containers) is cloudformation


def test_a_property_in_both_spellings_is_refused() -> None:
    containers = [{"Name": "agent", "Environment": [], "environment": []}]
    with pytest.raises(DocumentError, match="gives 'Environment' and 'environment'"):
        to_api_spelling(containers)
