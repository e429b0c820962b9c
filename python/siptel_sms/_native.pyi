"""Types of the native extension (python/src/lib.rs): JSON bytes in and out."""

class LoadFailed(Exception):
    """Loading failed; ``args[0]`` is the core's error document (JSON bytes)."""

    args: tuple[bytes]

class Binding:
    """The component loaded once with its host options (JSON bytes)."""

    def __init__(self, wasm: bytes | None, options: bytes) -> None: ...
    def call(self, export: str, body: bytes, options: bytes) -> bytes:
        """``{"ok": ...}`` or ``{"error": ...}`` as JSON bytes; releases the GIL."""
    def close(self) -> None: ...
