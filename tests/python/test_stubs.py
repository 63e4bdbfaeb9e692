"""`_host.pyi` describes the native module exactly."""

import ast
import inspect
import pathlib

import wasmlive._host as host

STUB = pathlib.Path(host.__file__).with_name("_host.pyi")


def stub_names():
    tree = ast.parse(STUB.read_text())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign)
            }
    return top, members


def test_every_public_name_has_a_stub_and_every_stub_a_name():
    top, _ = stub_names()
    public = {n for n in dir(host) if not n.startswith("_") or n == "__version__"}
    assert public == top


def test_session_methods_match():
    _, members = stub_names()
    native = {n for n, _ in inspect.getmembers(host.SessionActorHandle) if not n.startswith("__")}
    assert native == members["SessionActorHandle"]


def test_stats_fields_match():
    _, members = stub_names()
    stats = host.get_actor_stats()
    native = {n for n in dir(stats) if not n.startswith("_")}
    assert native == members["ActorStats"]
