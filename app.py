"""Serve GAN studio, the Gradio app over gan_core: `python app.py [--port N] [--host H] [--share]`.

On Hugging Face Spaces (SPACE_ID set) it listens on 0.0.0.0 so the Space's proxy reaches it.
"""
from __future__ import annotations

import argparse
import os


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    on_spaces = bool(os.environ.get("SPACE_ID"))
    default_host = os.environ.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if on_spaces else "127.0.0.1")
    parser = argparse.ArgumentParser(description="Serve the GAN studio web app.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
                        help="port to listen on (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--host", default=default_host,
                        help=f"address to listen on (default: {default_host}; 0.0.0.0 to accept other machines)")
    parser.add_argument("--share", action="store_true", help="also open a temporary public gradio.live link")
    parser.add_argument("--train-data", action="append", default=[], metavar="NAME=PATH",
                        help="offer a folder or archive of images on this machine in the Train tab, under NAME "
                             "(repeatable; also $GAN_STUDIO_TRAIN_DATA as NAME=PATH;NAME=PATH). Users pick the "
                             "name and never see or type the path")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Imported here so that `--help` answers without loading gradio and torch.
    import demo
    from demo.train import configure_server_data
    from gan_core.core.hardware import limit_torch_threads
    from gan_core.data.uploads import MAX_UPLOAD_BYTES

    # A Space's 2 vCPUs are a time quota on a bigger host: PyTorch would start a thread per host core.
    limit_torch_threads()

    try:
        configure_server_data(args.train_data)
    except ValueError as exc:
        raise SystemExit(f"app.py: {exc}")
    app = demo.build_app()
    # Two generations at a time keep a small CPU machine responsive; the rest wait in line.
    app.queue(default_concurrency_limit=2, max_size=64)
    app.launch(server_name=args.host, server_port=args.port, share=args.share, theme=demo.THEME, css=demo.CSS,
               max_file_size=MAX_UPLOAD_BYTES,  # Gradio refuses bigger uploads before they reach a handler
               app_kwargs=demo.app_kwargs())  # old links' `?page=` redirected before Gradio reads it


if __name__ == "__main__":
    main()
