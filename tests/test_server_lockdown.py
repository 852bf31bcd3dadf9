"""Server lock-down, probed over HTTP against a running studio (`python launch.py` in a subprocess).

Each probe names what it tries: the bind address, the file route (outside paths, `..`, encoded `..`,
symlink escapes), the upload size limit, pickle weights, and hostile values sent straight to the API.
"""

from __future__ import annotations

import http.client
import pickle
import re
import urllib.parse
from pathlib import Path

import httpx
import psutil
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from e2gan import sources
from e2gan.distill import distill
from e2gan.project import ProjectStore
from e2gan.teachers.offline import offline_spec
from tests.browser import StudioServer

ROOT = Path(__file__).resolve().parents[1]
SECRET = "TOP-SECRET-DO-NOT-SERVE"
UPLOAD_LIMIT_MB = 1


class Landmine:
    """Unpickling this creates a file: the proof that a pickle was loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A projects folder with one taught project, and hostile things planted around it."""
    root = tmp_path_factory.mktemp("lockdown")
    (root / "secret.txt").write_text(SECRET)
    store = ProjectStore(root / "projects")
    project = store.create("probe", "turn it into a cartoon")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    distill(project, offline_spec("cartoon"))
    (project.sources_dir / "leak.png").symlink_to(root / "secret.txt")
    (project.root / "linkdir").symlink_to(root, target_is_directory=True)
    (root / "allowed" / "photos").mkdir(parents=True)  # the one folder the studio may import a typed path from
    (root / "allowed" / "photos" / "a.png").write_bytes((project.sources_dir / sources.list_sources(project)[0]["file"]).read_bytes())
    (root / "allowed" / "escape").symlink_to(root / "private", target_is_directory=True)
    (root / "private").mkdir()  # a private folder next to it: photos and files whose names are private too
    (root / "private" / "passwords.txt").write_text(SECRET)
    (root / "private" / "id_ed25519").write_text(SECRET)
    (root / "private" / "me.png").write_bytes((root / "allowed" / "photos" / "a.png").read_bytes())
    marker = root / "pickle-was-loaded"
    (root / "pickle-base").mkdir()
    (root / "pickle-base" / "pytorch_model.bin").write_bytes(pickle.dumps(Landmine(marker)))
    (root / "renamed-pickle-base").mkdir()
    (root / "renamed-pickle-base" / "model.safetensors").write_bytes(pickle.dumps(Landmine(marker)))
    return root


@pytest.fixture(scope="module")
def server(sandbox):
    args = ("--max-upload-mb", str(UPLOAD_LIMIT_MB), "--import-root", str(sandbox / "allowed"))
    s = StudioServer(sandbox / "projects", sandbox / "studio.log", args).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, verbose=False)


def listening(pid: int) -> set[str]:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {c.laddr.ip for p in procs for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN}


def raw_get(server: StudioServer, path: str) -> tuple[int, bytes]:
    """GET a path exactly as written: no client-side normalisation of `..` or percent escapes."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- bind address -------------------------------------------------------------------------------------
def test_probe_bind_address_is_loopback_by_default(server):
    assert listening(server.proc.pid) == {"127.0.0.1"}


def test_probe_share_lan_listens_everywhere_and_the_server_asks_for_a_password(tmp_path):
    """On the network, every route (the page, its config, the API, private events) needs the printed password."""
    s = StudioServer(tmp_path / "projects", tmp_path / "lan.log", ("--share-lan",)).start()
    try:
        assert listening(s.proc.pid) == {"0.0.0.0"}
        log = (tmp_path / "lan.log").read_text()
        assert "WARNING: --share-lan" in log
        password = re.search(r"Log in as 'studio' with the password: (\S+)", log).group(1)
        with httpx.Client(base_url=s.url, timeout=30) as anonymous:
            assert anonymous.get("/config").status_code == 401
            assert anonymous.get("/gradio_api/info").status_code == 401
            assert anonymous.post("/gradio_api/call/list_projects", json={"data": []}).status_code == 401
            assert anonymous.post("/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "x"}).status_code == 401
            assert anonymous.post("/login", data={"username": "studio", "password": "guess"}).status_code == 400
        with httpx.Client(base_url=s.url, timeout=30) as user:
            assert user.post("/login", data={"username": "studio", "password": password}).status_code == 200
            assert user.get("/config").status_code == 200
            assert "list_projects" in user.get("/gradio_api/info").text
    finally:
        s.stop()


# -- the file route -----------------------------------------------------------------------------------
def file_url(path: str) -> str:
    return f"/gradio_api/file={path}"


def test_probe_file_route_serves_the_projects_own_files(server, sandbox):
    image = next(p for p in (sandbox / "projects" / "probe" / "sources").glob("*.png") if not p.is_symlink())
    status, body = raw_get(server, file_url(str(image)))
    assert status == 200 and body[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "probe",
    [
        "absolute_path_outside",
        "secret_beside_projects",
        "dotdot_from_a_project",
        "dotdot_percent_encoded",
        "dotdot_double_encoded",
        "symlink_file_escape",
        "symlink_folder_escape",
        "home_folder",
    ],
)
def test_probe_file_route_refuses(server, sandbox, probe):
    projects = sandbox / "projects"
    paths = {
        "absolute_path_outside": "/etc/passwd",
        "secret_beside_projects": str(sandbox / "secret.txt"),
        "dotdot_from_a_project": f"{projects}/probe/../../secret.txt",
        "dotdot_percent_encoded": f"{projects}/probe/%2e%2e/%2e%2e/secret.txt",
        "dotdot_double_encoded": f"{projects}/probe/%252e%252e/%252e%252e/secret.txt",
        "symlink_file_escape": f"{projects}/probe/sources/leak.png",
        "symlink_folder_escape": f"{projects}/probe/linkdir/secret.txt",
        "home_folder": str(Path.home() / ".bashrc"),
    }
    status, body = raw_get(server, file_url(paths[probe]))
    assert status in (400, 403, 404), (status, body[:200])
    assert SECRET.encode() not in body and b"root:" not in body


# -- uploads ---------------------------------------------------------------------------------------
def upload(server: StudioServer, size: int) -> httpx.Response:
    files = {"files": ("photo.png", b"\0" * size, "image/png")}
    return httpx.post(f"{server.url}gradio_api/upload", files=files, timeout=60)


def test_probe_upload_over_the_size_limit_is_refused_413(server):
    assert upload(server, 2 * UPLOAD_LIMIT_MB * 2**20).status_code == 413


def test_probe_upload_under_the_size_limit_is_accepted(server):
    response = upload(server, 100_000)
    assert response.status_code == 200, response.text


# -- weights: safetensors only -------------------------------------------------------------------------
@pytest.mark.parametrize("folder, message", [("pickle-base", "only pickle weights"), ("renamed-pickle-base", "not a valid safetensors")])
def test_probe_pickle_weights_are_never_loaded(client, sandbox, folder, message):
    with pytest.raises(AppError, match=message):
        client.predict("probe", "quick", "lora", str(sandbox / folder), api_name="/train_start")
    assert not (sandbox / "pickle-was-loaded").exists()


def test_no_code_path_can_unpickle():
    """Every loader in the library and studio goes through safetensors / JSON / numpy without pickle."""
    pattern = re.compile(r"torch\.load\(|pickle\.loads?\(|allow_pickle\s*=\s*True|joblib\.load|torch\.jit\.load")
    offenders = [
        f"{path.relative_to(ROOT)}:{i}"
        for folder in ("e2gan", "studio", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


# -- hostile values straight to the API -------------------------------------------------------------
def test_probe_api_project_name_path_traversal_is_refused(client, sandbox):
    for name in ("../../escape", "/tmp/absolute", "..", "a/b", "x" * 500):
        *_, message = client.predict(name, api_name="/create_project")
        assert "Invalid project name" in message, (name, message)
    assert not (sandbox / "escape").exists() and sorted(p.name for p in (sandbox / "projects").iterdir() if not p.name.startswith(".")) == ["probe"]


def test_probe_api_ten_thousand_character_prompt_is_refused(client, sandbox):
    message, _ = client.predict("probe", "x" * 10_000, api_name="/save_prompt")
    assert "limit is 1,000" in message
    assert ProjectStore(sandbox / "projects").open("probe").prompt == "turn it into a cartoon"


@pytest.mark.parametrize(
    "path, message",
    [
        ("/etc/passwd", "outside the folders"),
        ("/dev/zero", "outside the folders"),
        ("{sandbox}/private", "outside the folders"),
        ("{sandbox}/allowed/../private", "outside the folders"),
        ("{sandbox}/allowed/escape", "outside the folders"),  # a link inside the root that points out of it
        ("{sandbox}/projects/probe", "outside the folders"),
        ("{sandbox}/allowed/no-such-folder", "No such folder or zip"),
        ("", "No such folder"),
    ],
)
def test_probe_api_import_path_only_inside_the_allowed_folders(client, sandbox, path, message):
    before = len(sources.list_sources(ProjectStore(sandbox / "projects").open("probe")))
    with pytest.raises(AppError, match=message) as refused:
        client.predict("probe", path.format(sandbox=sandbox), api_name="/add_path")
    assert "passwords" not in str(refused.value) and "id_ed25519" not in str(refused.value)
    assert len(sources.list_sources(ProjectStore(sandbox / "projects").open("probe"))) == before


def test_probe_api_import_path_inside_the_allowed_folder_imports(client, sandbox):
    *_, message, _status = client.predict("probe", str(sandbox / "allowed" / "photos"), api_name="/add_path")
    assert "added" in message or "already" in message, message


def test_import_path_checks_resolve_links_and_refuse_network_shares(tmp_path):
    real = tmp_path / "real-pictures"
    (real / "album").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "Pictures").symlink_to(real, target_is_directory=True)  # a root that is itself a link
    (real / "album" / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    roots = (str(tmp_path / "Pictures"),)
    assert sources.check_import_path(tmp_path / "Pictures" / "album", roots) == real / "album"
    assert sources.check_import_path(real / "album", roots) == real / "album"  # the root's real path works too
    for bad in (real / "album" / "escape", tmp_path / "Pictures" / "album" / "escape", "//server/share/photos", "\\\\server\\share"):
        with pytest.raises(sources.ImportRefused):
            sources.check_import_path(bad, roots)


def test_import_paths_are_off_when_sharing_on_the_network_unless_allowed(tmp_path):
    from studio.app import LaunchOptions

    assert LaunchOptions().roots() == sources.DEFAULT_IMPORT_ROOTS
    assert LaunchOptions(share_lan=True).roots() == ()
    assert LaunchOptions(share_lan=True, import_roots=(str(tmp_path),)).roots() == (str(tmp_path),)
    with pytest.raises(sources.ImportRefused, match="off in this studio"):
        sources.check_import_path(tmp_path, ())


@pytest.mark.parametrize("preset, mode, message", [("fast", "lora", "'fast'.*not in the list of choices"), ("quick", "bogus", "bogus is not in the list of choices")])
def test_probe_api_unknown_preset_or_mode_gets_a_message_not_a_bare_error(client, preset, mode, message):
    with pytest.raises(AppError, match=message):
        client.predict("probe", preset, mode, "", api_name="/train_start")


def test_probe_api_unknown_project_gets_a_message_and_the_server_lives_on(client, server):
    with pytest.raises(AppError, match="Create or open a project first"):
        client.predict("no such project", api_name="/add_samples")
    status, _ = raw_get(server, "/")
    assert status == 200 and server.proc.poll() is None


PUBLIC_API = {
    "/create_project", "/list_projects", "/save_prompt", "/add_samples", "/add_uploads", "/add_path",
    "/generate_pairs", "/curate", "/train_start", "/train_resume", "/train_cancel", "/export", "/try_photo",
}  # fmt: skip


def test_probe_api_is_the_pipeline_steps_and_nothing_else(client):
    """Every other event (page loads, tab switches, the webcam stream, opening the LAN to a phone) is private:
    hidden from the API page and refused by Gradio's clients. (Gradio checks this in its clients, not its server:
    a program replaying the page's own protocol can still do what a person at the page can; SECURITY.md.)"""
    endpoints = set(client.view_api(print_info=False, return_format="dict", all_endpoints=True)["named_endpoints"])
    assert endpoints == PUBLIC_API  # before: on_serve, try_stream, try_looks and ~30 events were callable by name


def test_probe_url_encoded_request_for_file_route_with_query_tricks(server, sandbox):
    target = urllib.parse.quote(str(sandbox / "secret.txt"), safe="")
    status, body = raw_get(server, f"/gradio_api/file={target}?x=/{sandbox}/projects/probe/project.json")
    assert status in (400, 403, 404) and SECRET.encode() not in body
