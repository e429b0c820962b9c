"""What the binding adds around a call: the GIL released while the core
works, threads, asyncio, fork, and an installed package that runs anywhere."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from conftest import REPO, Stub, base_config

from siptel_sms import AsyncSiptelSms, Blocked, Problem, Sent, SiptelSms


class TestGil:
    def test_another_thread_runs_during_a_slow_send(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 201, "delay_ms": 800}])
        ticks = 0
        stop = threading.Event()

        def count() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                time.sleep(0.001)

        counter = threading.Thread(target=count)
        counter.start()
        try:
            time.sleep(0.05)
            before = ticks
            started = time.monotonic()
            outcome = action.send(base_config(stub.url))
            elapsed = time.monotonic() - started
            during = ticks - before
        finally:
            stop.set()
            counter.join()
        assert isinstance(outcome, Sent), outcome
        assert elapsed >= 0.8
        # Up to one tick a millisecond while the send waited on the stub (far
        # fewer on a loaded machine); a call holding the GIL lets through none.
        assert during > 50, f"{during} ticks in {elapsed:.2f} s"

    def test_sends_from_threads_run_at_once(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 201, "delay_ms": 500}] * 6)
        outcomes: list[Any] = []
        threads = [
            threading.Thread(target=lambda: outcomes.append(action.send(base_config(stub.url)))) for _ in range(6)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert all(isinstance(o, Sent) for o in outcomes) and len(outcomes) == 6, outcomes
        assert elapsed < 2.5, f"six 0.5 s sends took {elapsed:.2f} s"


class TestAsyncio:
    def test_the_loop_keeps_running_while_sends_wait(self, stub: Stub) -> None:
        async def main() -> tuple[list[Any], int]:
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.001)

            ticker = asyncio.create_task(tick())
            async with AsyncSiptelSms(siptel_base_url=stub.url) as action:
                stub.script([{"status": 201, "delay_ms": 500}] * 4)
                results = await asyncio.gather(
                    *(action.send(base_config(stub.url)) for _ in range(4)),
                    action.check(base_config(stub.url, sender="12")),
                    action.preview(base_config(stub.url)),
                    action.describe(),
                )
            ticker.cancel()
            return results, ticks

        started = time.monotonic()
        results, ticks = asyncio.run(main())
        elapsed = time.monotonic() - started
        assert all(isinstance(o, Sent) for o in results[:4]), results
        assert [p.field for p in results[4]] == ["sender"] and isinstance(results[4][0], Problem)
        assert results[5].window_open and results[6].fields
        assert ticks > 50, ticks
        assert elapsed < 4, elapsed


def _send_in_child(action: SiptelSms, url: str, queue: Any) -> None:
    outcome = action.send(base_config(url))
    queue.put(type(outcome).__name__)


class TestFork:
    def test_a_forked_child_sends(self, action: SiptelSms, stub: Stub) -> None:
        # The parent's runtime has worked (threads, kept connections) before the fork.
        assert isinstance(action.send(base_config(stub.url)), Sent)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                os.close(read)
                outcome = action.send(base_config(stub.url))
                os.write(write, repr(outcome).encode())
                code = 0 if isinstance(outcome, Sent) else 2
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read) as pipe:
            said = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, said
        assert said.startswith("Sent("), said
        # The parent is unharmed.
        assert isinstance(action.send(base_config(stub.url)), Sent)
        assert len(stub.requests()) == 3

    def test_multiprocessing_with_the_fork_start_method(self, action: SiptelSms, stub: Stub) -> None:
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        children = [context.Process(target=_send_in_child, args=(action, stub.url, queue)) for _ in range(2)]
        for child in children:
            child.start()
        for child in children:
            child.join(60)
            assert child.exitcode == 0
        assert sorted(queue.get(timeout=5) for _ in children) == ["Sent", "Sent"]

    def test_an_async_host_made_before_the_fork(self, stub: Stub) -> None:
        host = AsyncSiptelSms(siptel_base_url=stub.url)
        asyncio.run(host.check(base_config(stub.url)))  # the parent's thread pool exists
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                outcome = asyncio.run(asyncio.wait_for(host.send(base_config(stub.url)), 30))
                code = 0 if isinstance(outcome, Sent) else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        asyncio.run(host.close())


class TestInstalled:
    def test_runs_from_any_directory_with_no_wasm_file(self, stub: Stub, tmp_path: Path) -> None:
        script = (
            "import siptel_sms, sys, json\n"
            "assert 'site-packages' in siptel_sms.__file__, siptel_sms.__file__\n"
            "config = json.loads(sys.argv[2])\n"
            "with siptel_sms.SiptelSms(siptel_base_url=sys.argv[1]) as action:\n"
            "    print(type(action.send(config)).__name__)\n"
        )
        import json

        config = base_config(stub.url)
        config["weekdays"] = sorted(config["weekdays"])
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIPTEL_SMS_WASM")}
        done = subprocess.run(
            [sys.executable, "-P", "-c", script, stub.url, json.dumps(config)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "Sent"
        assert list(tmp_path.iterdir()) == []

    def test_the_example_runs_against_the_stub(self, stub: Stub) -> None:
        done = subprocess.run(
            [sys.executable, "-P", str(REPO / "python" / "examples" / "embed.py"), stub.url],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "ACME_SIPTEL_KEY": "test-key", "GLOBEX_SIPTEL_KEY": "globex-key"},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "sent: sms_" in done.stdout, done.stdout
        assert stub.requests()[0]["headers"]["authorization"] == "Bearer test-key"

    def test_blocked_is_importable_for_match(self) -> None:
        assert Blocked.__match_args__[:2] == ("reason", "next_allowed")
