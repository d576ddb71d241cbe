"""The app is an MCP server: every named endpoint is a tool an AI assistant can list and call.

Starts `python app.py` (as test_api does) and reads the tools from Gradio's MCP schema
endpoint, then calls one through the MCP protocol itself (Streamable HTTP).
"""
from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from tools.browser import AppDidNotStart, running_app

pytest.importorskip("mcp")

pytestmark = pytest.mark.browser  # starts the app: seconds, not milliseconds

# endpoint (api_name) -> its arguments; Gradio names a tool after the endpoint's function.
TOOLS = {
    "generate": {"model_name", "seed", "grid_size"},
    "walk": {"model_name", "waypoints", "method", "t", "frames", "photo"},
    "turn": {"model_name", "subject", "left", "right", "source", "t", "photo"},
    "arithmetic": {"model_name", "a", "b", "c", "noise", "photo"},
    "attribute": {"model_name", "subject", "attribute", "t", "photo"},
    "walk_animation": {"model_name", "waypoints", "method", "frames", "fps", "fmt", "photo"},
    "project": {"model_name", "image", "restarts", "steps"},
    "upscale": {"path", "model_name", "score", "compare", "shrink"},
    "style": {"path", "model_name", "working_size", "method"},
}
# Events that only serve the page: never tools.
UI_ONLY = {"random_seed", "show_model_card", "view_query", "pick_from_gallery", "render_gallery", "load_example",
           "initial_view_outputs", "arithmetic_preset", "shipped_turn_picks", "model_summary", "on_model_change"}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("logs") / "app.log"
    try:
        with running_app(log) as url:
            yield url
    except AppDidNotStart as exc:
        pytest.fail(str(exc))
    assert "/gradio_api/mcp" in log.read_text()  # the start-up message says where the MCP server is


@pytest.fixture(scope="module")
def schema(app_url):
    with urllib.request.urlopen(app_url + "gradio_api/mcp/schema", timeout=30) as response:
        return json.load(response)


def test_every_named_endpoint_is_a_tool_and_nothing_else(schema):
    by_endpoint = {tool["meta"]["endpoint_name"]: tool for tool in schema}
    assert set(by_endpoint) == set(TOOLS)
    names = {tool["name"] for tool in schema}
    assert not names & UI_ONLY and not any(name.startswith(("load_example", "lambda", "<")) for name in names)
    for endpoint, arguments in TOOLS.items():
        assert set(by_endpoint[endpoint]["inputSchema"]["properties"]) == arguments, endpoint


def test_each_tool_and_each_argument_is_described(schema):
    for tool in schema:
        summary = tool["description"]
        assert len(summary) > 40 and "event" not in summary.lower(), tool["name"]  # for a user, not the UI code
        for name, prop in tool["inputSchema"]["properties"].items():
            assert len(prop.get("description", "")) > 25, f"{tool['name']}.{name} has no description"
    generate = next(t for t in schema if t["meta"]["endpoint_name"] == "generate")["inputSchema"]["properties"]
    assert "4294967295" in generate["seed"]["description"]  # ranges are spelled out
    # Each schema is one a value satisfies: MCP clients check the arguments against it before calling.
    jsonschema = pytest.importorskip("jsonschema")
    style = next(t for t in schema if t["meta"]["endpoint_name"] == "style")["inputSchema"]
    jsonschema.validate({"model_name": "cifar10-dcgan32", "seed": 3, "grid_size": 16},
                        next(t for t in schema if t["meta"]["endpoint_name"] == "generate")["inputSchema"])
    jsonschema.validate({"path": "https://example.com/a.png", "working_size": 1024}, style)
    walk = next(t for t in schema if t["meta"]["endpoint_name"] == "walk")["inputSchema"]["properties"]
    assert "0" in walk["t"]["description"] and "1" in walk["t"]["description"]


def test_a_client_lists_and_calls_a_tool_over_mcp(app_url):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session_work():
        async with streamable_http_client(app_url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                generate = next(t.name for t in tools if t.name.startswith("generate"))
                result = await session.call_tool(generate, {"model_name": "cifar10-dcgan32", "seed": 3,
                                                            "grid_size": 1})
                bad = await session.call_tool(generate, {"model_name": "cifar10-dcgan32", "seed": -1,
                                                         "grid_size": 1})
                return tools, result, bad

    tools, result, bad = asyncio.run(asyncio.wait_for(session_work(), timeout=120))
    assert len(tools) == len(TOOLS)
    assert not result.isError
    assert any(c.type == "image" or "png" in str(getattr(c, "text", "")).lower() for c in result.content)
    assert bad.isError and "seed must be between 0 and" in " ".join(getattr(c, "text", "") for c in bad.content)
