"""The C# Jupyter kernel (`zbridge kernel`) under the standard kernel test suite, and beyond it.

The kernel is started the way Jupyter starts it: from a kernelspec written by `zbridge kernel install --prefix`
into a temporary directory on JUPYTER_PATH (never the user's real one), by jupyter_client's KernelManager.
Every jupyter_client call has a timeout; every kernel is shut down (and killed if it will not stop).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import zmq

jupyter_client = pytest.importorskip("jupyter_client")
jupyter_kernel_test = pytest.importorskip("jupyter_kernel_test")

from jupyter_client.blocking import BlockingKernelClient  # noqa: E402
from jupyter_client.manager import start_new_kernel  # noqa: E402
from support import ServerProcess  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ZBRIDGE = REPO / "zbridge"
KERNEL_NAME = "csharp-zerobridge"
TIMEOUT = 30.0
INSTALL_DEADLINE = 900.0

_spec_dir = tempfile.mkdtemp(prefix="zbridge-kernelspec-")


def install_kernelspec(prefix: str, *extra: str) -> None:
    """`zbridge kernel install --prefix PREFIX` (builds zbridge first if needed) and puts PREFIX on JUPYTER_PATH."""
    if shutil.which("dotnet") is None:
        pytest.fail("dotnet is not installed (install the .NET 10 SDK): the kernel is the zbridge CLI")
    result = subprocess.run([str(ZBRIDGE), "kernel", "install", "--prefix", prefix, *extra], capture_output=True,
                            text=True, timeout=INSTALL_DEADLINE, stdin=subprocess.DEVNULL, cwd=REPO)
    assert result.returncode == 0, result.stderr[-4000:]
    share = str(Path(prefix) / "share" / "jupyter")
    paths = os.environ.get("JUPYTER_PATH", "")
    if share not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = share + (os.pathsep + paths if paths else "")


class CSharpSamples:
    """The C# code samples jupyter_kernel_test's suite asks for."""

    language_name = "C#"
    file_extension = ".cs"

    code_hello_world = 'Console.WriteLine("hello, world");'
    code_stderr = 'Console.Error.WriteLine("oops");'
    code_generate_error = 'throw new InvalidOperationException("boom");'
    code_execute_result = [
        {"code": "1 + 1", "result": "2"},
        {"code": "\"a\" + \"b\"", "result": "ab"},
        {"code": "new[] { 1, 2, 3 }.Sum()", "result": "6"},
    ]
    code_display_data = [
        {"code": 'Display.Html("<b>bold</b>");', "mime": "text/html"},
        {"code": "display(new[] { new { Id = 1, Name = \"a\" } });", "mime": "text/html"},
    ]
    completion_samples = [
        {"text": "Console.Wri", "matches": {"Write", "WriteLine"}},
        {"text": "Math.Ab", "matches": {"Abs"}},
    ]
    complete_code_samples = ["1 + 1", "var x = 1;", "if (true) { }"]
    incomplete_code_samples = ["if (true) {", "var list = new List<int> {", "void F() {"]
    invalid_code_samples = ["var = ;", "1 + ) 2;"]
    code_clear_output = "clear_output();"
    code_page_something = 'Display.Page("something");'
    code_inspect_sample = "Math.Abs"
    code_history_pattern = "1*"
    supported_history_operations = ("tail", "range", "search")


class CSharpKernelTests(CSharpSamples, jupyter_kernel_test.KernelTests):
    """jupyter_kernel_test's suite against the standalone kernel, started by Jupyter from its kernelspec."""

    kernel_name = KERNEL_NAME

    @classmethod
    def setUpClass(cls) -> None:
        install_kernelspec(_spec_dir)
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, startup_timeout=120)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=False)
        if cls.km.is_alive():
            cls.km.kill_kernel()



# ---------------------------------------------------------------------------------------------------------------
# Beyond the standard suite: rich display, input, interrupt, bounded output and bad input.


@pytest.fixture(scope="module")
def kernel() -> Iterator[Tuple[Any, Any]]:
    """A standalone kernel started from the kernelspec; (manager, blocking client)."""
    install_kernelspec(_spec_dir)
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        if km.is_alive():
            km.kill_kernel()


def run_cell(kc: Any, code: str, **kwargs: Any) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Executes a cell; returns its reply and the IOPub messages it caused up to idle (all with timeouts)."""
    msg_id = kc.execute(code, **kwargs)
    return shell_reply(kc, msg_id), iopub_until_idle(kc, msg_id)


def shell_reply(kc: Any, msg_id: str) -> Dict[str, Any]:
    """The shell reply to ``msg_id``, past any left over (the kernel_info replies of start-up)."""
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def iopub_until_idle(kc: Any, msg_id: str) -> List[Dict[str, Any]]:
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
        messages.append(msg)


def test_what_cells_declare_and_change_lives_on_across_cells_that_declare_nothing(kernel: Tuple[Any, Any]) -> None:
    """Cells that declare nothing are left out of the submission chain; what they change must stay changed."""
    _, kc = kernel
    for code in ("var counter = 1; var seen = new List<int>();", "counter = 5;", "seen.Add(counter)",
                 'int.TryParse("7", out var parsed);', "int Twice(int x) => 2 * x;"):
        reply, _ = run_cell(kc, code)
        assert reply["content"]["status"] == "ok", (code, reply["content"])
    reply, outputs = run_cell(kc, '$"{counter} {seen.Count} {parsed} {Twice(counter)}"')
    assert reply["content"]["status"] == "ok", reply["content"]
    result = next(m for m in outputs if m["msg_type"] == "execute_result")["content"]["data"]["text/plain"]
    assert result == "5 1 7 10"
    completions = shell_reply(kc, kc.complete("Twi"))["content"]["matches"]
    assert "Twice" in completions


def test_a_table_of_records_is_html_and_text(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    reply, outputs = run_cell(kc, 'Enumerable.Range(1, 3).Select(i => new { Id = i, Name = "n" + i }).ToList()')
    assert reply["content"]["status"] == "ok", reply["content"]
    result = next(m for m in outputs if m["msg_type"] == "execute_result")["content"]["data"]
    assert "<table>" in result["text/html"] and "<td>n2</td>" in result["text/html"]
    assert result["text/plain"].splitlines()[0].split() == ["Id", "Name"]


def test_png_bytes_are_an_image_and_a_display_can_be_updated(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    png = "new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3 }"
    reply, outputs = run_cell(kc, f'var progress = Display.Show("0%"); progress.Update("100%"); {png}')
    assert reply["content"]["status"] == "ok", reply["content"]
    kinds = [m["msg_type"] for m in outputs]
    assert kinds.index("display_data") < kinds.index("update_display_data") < kinds.index("execute_result")
    display = next(m for m in outputs if m["msg_type"] == "display_data")["content"]
    update = next(m for m in outputs if m["msg_type"] == "update_display_data")["content"]
    assert update["transient"]["display_id"] == display["transient"]["display_id"]
    assert update["data"]["text/plain"] == "100%"
    image = next(m for m in outputs if m["msg_type"] == "execute_result")["content"]["data"]["image/png"]
    assert image == "iVBORw0KGgoBAgM="


def test_clear_output_clears_what_the_cell_showed_after_the_output_before_it(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    reply, outputs = run_cell(kc, 'Console.Write("old"); Display.ClearOutput(wait: true); Console.Write("new"); '
                                  'clear_output(); display("last");')
    assert reply["content"]["status"] == "ok", reply["content"]
    shown = [(m["msg_type"], m["content"].get("text", m["content"].get("wait", m["content"].get("data", {}).get("text/plain"))))
             for m in outputs if m["msg_type"] in ("stream", "clear_output", "display_data")]
    assert shown == [("stream", "old"), ("clear_output", True), ("stream", "new"), ("clear_output", False),
                     ("display_data", "last")]


def test_a_name_with_a_question_mark_pages_its_signature_and_docs(kernel: Tuple[Any, Any]) -> None:
    """IPython's ``obj?``: the cell is a help request, answered in the pager (the reply's payload), not compiled."""
    _, kc = kernel
    assert shell_reply(kc, kc.is_complete("Math.Max?"))["content"]["status"] == "complete"
    reply, outputs = run_cell(kc, "Math.Max?")
    assert reply["content"]["status"] == "ok", reply["content"]
    [page] = reply["content"]["payload"]
    assert page["source"] == "page" and "Max(" in page["data"]["text/plain"], page
    assert not [m for m in outputs if m["msg_type"] in ("error", "execute_result")]
    reply, outputs = run_cell(kc, "?NoSuchThing")
    assert reply["content"]["status"] == "ok" and reply["content"]["payload"] == [], reply["content"]
    assert [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"] == ["Object `NoSuchThing` not found.\n"]


def test_a_cell_reading_the_console_asks_the_front_end(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    msg_id = kc.execute('var name = Console.ReadLine(); "hello " + name', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=TIMEOUT)
    assert request["msg_type"] == "input_request"
    kc.input("ada")
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    result = next(m for m in iopub_until_idle(kc, msg_id) if m["msg_type"] == "execute_result")
    assert result["content"]["data"]["text/plain"] == "hello ada"


def test_interrupt_stops_a_cell_that_never_ends(kernel: Tuple[Any, Any]) -> None:
    km, kc = kernel
    msg_id = kc.execute("while (true) { }")
    while True:  # the cell is running once the kernel says busy for it
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
            break
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    assert reply["content"]["evalue"] == "The cell was interrupted."  # stopped, not abandoned still running
    after, _ = run_cell(kc, "1 + 1")
    assert after["content"]["status"] == "ok"


def test_a_cell_writing_100_mb_is_bounded_and_the_kernel_survives(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    reply, outputs = run_cell(kc, 'for (var i = 0; i < 100; i++) Console.Write(new string((char)(65 + i % 26), 1_000_000));')
    assert reply["content"]["status"] == "ok", reply["content"]
    streamed = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
    assert 1_000_000 < len(streamed) < 10_000_000
    assert "output truncated" in streamed
    after, outputs = run_cell(kc, "2 + 2")
    assert next(m for m in outputs if m["msg_type"] == "execute_result")["content"]["data"]["text/plain"] == "4"


def test_stop_on_error_aborts_the_cells_queued_behind_a_failure(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    failing = kc.execute('System.Threading.Thread.Sleep(300); throw new Exception("first");')
    queued = kc.execute("1 + 1")
    replies = {}
    while len(replies) < 2:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"]["msg_id"] in (failing, queued):
            replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
    assert replies == {failing: "error", queued: "aborted"}


def test_a_compile_error_names_line_and_column(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    reply, outputs = run_cell(kc, "var a = 1;\nvar b = nothing;")
    assert reply["content"]["ename"] == "CompilationError"
    error = next(m for m in outputs if m["msg_type"] == "error")["content"]
    assert any("(2,9)" in line and "CS0103" in line for line in error["traceback"]), error["traceback"]


def test_unknown_request_types_get_an_error_reply(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    msg = kc.session.msg("frobnicate_request", {})
    kc.shell_channel.send(msg)
    reply = shell_reply(kc, msg["header"]["msg_id"])
    assert reply["msg_type"] == "frobnicate_reply"
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "UnknownMessageType"


def _raw_shell(kc: Any) -> Any:
    """A DEALER on the kernel's shell port, speaking the wire protocol by hand."""
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(f"tcp://{kc.ip}:{kc.shell_port}")
    return socket


def _frames(kc: Any, msg_type: str, content: bytes, sign: bool = True) -> List[bytes]:
    header = json.dumps({"msg_id": os.urandom(8).hex(), "username": "test", "session": "raw", "date": "2026-01-01T00:00:00Z",
                         "msg_type": msg_type, "version": "5.3"}).encode()
    parts = [header, b"{}", b"{}", content]
    signature = kc.session.sign(parts) if sign else b"0" * 64
    return [b"<IDS|MSG>", signature, *parts]


def test_bad_signatures_and_malformed_json_are_dropped(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    socket = _raw_shell(kc)
    try:
        socket.send_multipart(_frames(kc, "kernel_info_request", b"{}", sign=False))  # wrong signature
        socket.send_multipart(_frames(kc, "kernel_info_request", b"{not json"))  # signed, but not JSON
        socket.send_multipart([b"<IDS|MSG>", b"short"])  # not a message at all
        good = _frames(kc, "kernel_info_request", b"{}")
        socket.send_multipart(good)
        assert socket.poll(int(TIMEOUT * 1000)), "no reply to the valid request"
        reply = socket.recv_multipart()
        parent = json.loads(reply[reply.index(b"<IDS|MSG>") + 3])
        # Requests are served in order, so a reply to a dropped message would have come first.
        assert parent == json.loads(good[2]), "the first reply must answer the only valid request"
    finally:
        socket.close(linger=0)


def test_a_client_vanishing_mid_cell_leaves_the_kernel_serving(kernel: Tuple[Any, Any]) -> None:
    _, kc = kernel
    socket = _raw_shell(kc)
    socket.send_multipart(_frames(kc, "execute_request",
                                  b'{"code": "for (var i = 0; i < 5; i++) System.Threading.Thread.Sleep(100); 7", "silent": false,'
                                  b' "store_history": false, "user_expressions": {}, "allow_stdin": true, "stop_on_error": true}'))
    socket.close(linger=0)
    reply, outputs = run_cell(kc, "3 * 3")
    assert reply["content"]["status"] == "ok"
    assert next(m for m in outputs if m["msg_type"] == "execute_result")["content"]["data"]["text/plain"] == "9"


# ---------------------------------------------------------------------------------------------------------------
# The kernel embedded in a running application (`zbridge demo --kernel`), and the attach kernelspec.

START_DEADLINE = 120.0


def start_demo(*flags: str) -> Tuple[ServerProcess, str]:
    """`zbridge demo --kernel` with its runtime directory in a temp dir; (process, connection file)."""
    if shutil.which("dotnet") is None:
        pytest.fail("dotnet is not installed (install the .NET 10 SDK): the demo is the zbridge CLI")
    work = Path(tempfile.mkdtemp(prefix="zbridge-demo-kernel-"))
    saved = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(work / "runtime")
    try:
        demo = ServerProcess([str(ZBRIDGE), "demo", "--kernel", "--bind", "tcp://127.0.0.1:*",
                              "--data", str(work / "demo.db"), *flags], cwd=REPO)
    finally:
        if saved is None:
            del os.environ["JUPYTER_RUNTIME_DIR"]
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = saved
    demo.wait_ready(START_DEADLINE)
    line = next((line for line in demo.output if line.startswith("Jupyter kernel: ")), None)
    if line is None:
        demo.stop()
        pytest.fail("the demo did not print its kernel's connection file:\n" + "\n".join(demo.output))
    connection_file = line[len("Jupyter kernel: "):].strip()
    assert Path(connection_file).parent == work / "runtime"
    return demo, connection_file


def connect(connection_file: str) -> Any:
    """A blocking client from a connection file, as `jupyter console --existing FILE` makes one."""
    kc = BlockingKernelClient()
    kc.load_connection_file(connection_file)
    kc.start_channels()
    kc.wait_for_ready(timeout=START_DEADLINE)
    return kc


class EmbeddedKernelTests(CSharpSamples, jupyter_kernel_test.KernelTests):
    """jupyter_kernel_test's suite against the kernel inside the running demo, attached by connection file."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.demo, connection_file = start_demo()
        cls.km = None
        cls.kc = connect(connection_file)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.kc.stop_channels()
        cls.demo.stop()

    def test_cells_see_the_applications_objects(self) -> None:
        reply, outputs = run_cell(self.kc, "Orders.Recent(3).Count()")
        assert reply["content"]["status"] == "ok", reply["content"]
        assert next(m for m in outputs if m["msg_type"] == "execute_result")["content"]["data"]["text/plain"] == "3"

    def test_completion_offers_the_applications_members(self) -> None:
        reply = shell_reply(self.kc, self.kc.complete("Orders.Rec"))
        assert "Recent" in reply["content"]["matches"]

    def test_a_restart_request_resets_the_cells_not_the_application(self) -> None:
        run_cell(self.kc, "var remembered = 42;")
        self.kc.shutdown(restart=True)  # on the control channel
        reply = self.kc.get_control_msg(timeout=TIMEOUT)
        assert reply["content"] == {"status": "ok", "restart": True}
        reply, _ = run_cell(self.kc, "remembered")
        assert reply["content"]["status"] == "error"  # the variable is gone…
        reply, _ = run_cell(self.kc, "Orders.Recent(1).Count()")
        assert reply["content"]["status"] == "ok"  # …the application is not
        assert self.demo.process.poll() is None


def test_the_attach_kernelspec_runs_cells_inside_the_demo() -> None:
    demo, _ = start_demo("--allow-scripts")
    try:
        prefix = tempfile.mkdtemp(prefix="zbridge-attach-spec-")
        install_kernelspec(prefix, "--attach", demo.endpoint, "--name", "erp")
        km, kc = start_new_kernel(kernel_name="erp", startup_timeout=120)
        try:
            reply, outputs = run_cell(kc, 'Console.WriteLine("inside"); Orders.Recent(2).Count()')
            assert reply["content"]["status"] == "ok", reply["content"]
            assert any(m["msg_type"] == "stream" and "inside" in m["content"]["text"] for m in outputs)
            result = next(m for m in outputs if m["msg_type"] == "execute_result")
            assert result["content"]["data"]["text/plain"] == "2"
            # Output streams while the cell runs (csharp.output), not only with the result: "early" comes in a
            # stream message of its own, before "late" is written 4 s later.
            reply, outputs = run_cell(kc, 'Console.WriteLine("early"); await Task.Delay(4000); Console.WriteLine("late");')
            assert reply["content"]["status"] == "ok", reply["content"]
            texts = [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"]
            assert "".join(texts) == "early\nlate\n"
            late = next(i for i, text in enumerate(texts) if "late" in text)
            assert "".join(texts[:late]) == "early\n", texts  # in messages of its own (a flush may split a line)
            reply, outputs = run_cell(kc, "throw new InvalidOperationException(\"remote boom\");")
            assert reply["content"]["status"] == "error"
            assert reply["content"]["evalue"] == "remote boom"
            # Completion and inspection are the application's (csharp.complete, csharp.inspect): its objects and
            # the variables this notebook's cells defined there.
            run_cell(kc, "var attachedTotal = 40;")
            code = "Orders.Rec"
            reply = shell_reply(kc, kc.complete(code, len(code)))
            assert "Recent" in reply["content"]["matches"], reply["content"]
            assert (reply["content"]["cursor_start"], reply["content"]["cursor_end"]) == (7, 10)
            reply = shell_reply(kc, kc.complete("attachedT", 9))
            assert "attachedTotal" in reply["content"]["matches"], reply["content"]
            reply = shell_reply(kc, kc.inspect("attachedTotal", 3))
            assert reply["content"]["found"], reply["content"]
            assert "attachedTotal" in reply["content"]["data"]["text/plain"]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
            if km.is_alive():
                km.kill_kernel()
    finally:
        demo.stop()


def test_the_attach_example_notebook_runs_inside_the_demo() -> None:
    """examples/attach-kernel.ipynb, executed by nbclient on the attach kernelspec its metadata names, against a
    running demo: its cells read the application's live orders."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(REPO / "examples" / "attach-kernel.ipynb", as_version=4)
    demo, _ = start_demo("--allow-scripts")
    try:
        install_kernelspec(tempfile.mkdtemp(prefix="zbridge-attach-nb-"), "--attach", demo.endpoint,
                           "--name", notebook.metadata.kernelspec.name)
        nbclient.NotebookClient(notebook, timeout=120, startup_timeout=120,
                                kernel_name=notebook.metadata.kernelspec.name).execute()
    finally:
        demo.stop()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    results = [o.data for o in outputs if o.output_type == "execute_result"]
    assert results[0]["text/html"].count("<tr>") == 6, results[0]  # a header and the five recent orders
    assert float(results[1]["text/plain"]) > 0
    assert "<th>Status</th>" in results[2]["text/html"]
    streams = "".join(o.text for o in outputs if o.output_type == "stream")
    assert "50 recent orders" in streams


def test_the_example_notebook_runs_on_the_kernel() -> None:
    """examples/csharp-kernel.ipynb, executed by nbclient on the kernel its metadata names."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    install_kernelspec(_spec_dir)
    notebook = nbformat.read(REPO / "examples" / "csharp-kernel.ipynb", as_version=4)
    assert notebook.metadata.kernelspec.name == KERNEL_NAME
    nbclient.NotebookClient(notebook, timeout=120, startup_timeout=120, kernel_name=KERNEL_NAME).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    results = [o.data for o in outputs if o.output_type == "execute_result"]
    assert results[0]["text/plain"] == "30"
    assert "<td>Grace</td>" in results[1]["text/html"]
    assert "image/png" in results[3]
    assert results[-1]["text/plain"] == "6765"
    displays = [o.data for o in outputs if o.output_type == "display_data"]
    assert any("text/markdown" in d for d in displays)
    assert any(d["text/plain"].startswith("done: the biggest order is #1") for d in displays)  # the update, in place
