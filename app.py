"""Serve GAN studio, the Gradio app over gan_core: `python app.py [--port N] [--host H] [--share] [--no-mcp]`.

Every named endpoint (generate, walk, turn, ...) is also a tool of an MCP server at
http://HOST:PORT/gradio_api/mcp/ (Streamable HTTP; SSE at /gradio_api/mcp/sse) unless --no-mcp.

On Hugging Face Spaces (SPACE_ID set) it listens on 0.0.0.0, port $GRADIO_SERVER_PORT, $PORT or 7860,
so the Space's proxy reaches it.
"""
from __future__ import annotations

import argparse
import os

DEFAULT_PORT = 7860


def on_spaces() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def default_port() -> int:
    """$GRADIO_SERVER_PORT, then (on a Space) $PORT, then 7860."""
    names = ("GRADIO_SERVER_PORT", "PORT") if on_spaces() else ("GRADIO_SERVER_PORT",)
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                port = int(value)
            except ValueError:
                port = -1
            if not 0 < port < 65536:
                raise SystemExit(f"app.py: ${name} must be a port number from 1 to 65535, not {value[:20]!r}")
            return port
    return DEFAULT_PORT


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default_host = os.environ.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if on_spaces() else "127.0.0.1")
    parser = argparse.ArgumentParser(description="Serve the GAN studio web app.")
    parser.add_argument("--port", type=int, default=default_port(),
                        help=f"port to listen on (default: $GRADIO_SERVER_PORT, on a Space $PORT, or {DEFAULT_PORT})")
    parser.add_argument("--host", default=default_host,
                        help=f"address to listen on (default: {default_host}; 0.0.0.0 to accept other machines)")
    parser.add_argument("--share", action="store_true", help="also open a temporary public gradio.live link")
    parser.add_argument("--no-mcp", action="store_true",
                        help="do not serve the endpoints as MCP tools at /gradio_api/mcp/ (served by default)")
    parser.add_argument("--train-data", action="append", default=[], metavar="NAME=PATH",
                        help="offer a folder or archive of images on this machine in the Train tab, under NAME "
                             "(repeatable; also $GAN_STUDIO_TRAIN_DATA as NAME=PATH;NAME=PATH). Users pick the "
                             "name and never see or type the path")
    return parser.parse_args(argv)


def mcp_available() -> bool:
    try:
        import mcp  # noqa: F401  (gradio[mcp]'s extra)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Imported here so that `--help` answers without loading gradio and torch.
    import demo
    from demo.app import fix_number_choice_schemas
    from demo.train import configure_server_data
    from gan_core.core.hardware import limit_torch_threads
    from gan_core.data.uploads import MAX_UPLOAD_BYTES

    # A Space's 2 vCPUs are a time quota on a bigger host: PyTorch would start a thread per host core.
    limit_torch_threads()

    try:
        configure_server_data(args.train_data)
    except ValueError as exc:
        raise SystemExit(f"app.py: {exc}")
    mcp_server = not args.no_mcp
    if mcp_server and not mcp_available():
        print("app.py: the MCP server is off: its package is missing (pip install 'gradio[mcp]')", flush=True)
        mcp_server = False
    app = fix_number_choice_schemas(demo.build_app())  # MCP clients check arguments against the schema
    # Two generations at a time keep a small CPU machine responsive; the rest wait in line.
    app.queue(default_concurrency_limit=2, max_size=64)
    app.launch(server_name=args.host, server_port=args.port, share=args.share and not on_spaces(),
               theme=demo.THEME, css=demo.CSS,
               max_file_size=MAX_UPLOAD_BYTES,  # Gradio refuses bigger uploads before they reach a handler
               mcp_server=mcp_server,  # the named endpoints as tools for AI assistants
               app_kwargs=demo.app_kwargs())  # old links' `?page=` redirected before Gradio reads it


if __name__ == "__main__":
    main()
