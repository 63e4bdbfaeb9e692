"""The context encoder of the wasmlive package, loaded by file path so the
template tests need neither the built extension nor an installed package."""

import importlib.util
import pathlib

_path = pathlib.Path(__file__).resolve().parents[2] / "bindings" / "python" / "wasmlive" / "encoding.py"
_spec = importlib.util.spec_from_file_location("wasmlive_encoding", _path)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

encode = _module.encode
dumps = _module.dumps
