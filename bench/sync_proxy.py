"""A misbehaving network for the fault-injection harness: an asyncio TCP proxy on loopback that,
per connection and at random (seeded), passes traffic through, drops the connection, delays it, or
cuts the server's answer short. Runs in a background thread; ``faults`` can be switched off."""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, field


@dataclass
class FaultyProxy:
    target_port: int
    seed: int
    listen_port: int = 0
    faults: bool = True
    drop: float = 0.08
    delay: float = 0.08
    truncate: float = 0.08
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "drop": 0, "delay": 0, "truncate": 0})

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faulty-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen_port}"

    def start(self) -> FaultyProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _shutdown(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.listen_port)
        )
        self.listen_port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    def _choose(self) -> str:
        if not self.faults:
            return "pass"
        roll = self._rng.random()
        if roll < self.drop:
            return "drop"
        if roll < self.drop + self.delay:
            return "delay"
        if roll < self.drop + self.delay + self.truncate:
            return "truncate"
        return "pass"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self._choose()
        self.counts[mode] += 1
        try:
            if mode == "drop":
                return
            if mode == "delay":
                await asyncio.sleep(self._rng.uniform(0.05, 0.6))
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            except OSError:
                return
            cut = self._rng.randint(1, 400) if mode == "truncate" else None
            try:
                await asyncio.gather(
                    self._pipe(reader, up_writer, None),
                    self._pipe(up_reader, writer, cut),
                    return_exceptions=True,
                )
            except asyncio.CancelledError:
                pass  # the proxy is stopping: connections just end, as a cut network would end them
            finally:
                up_writer.close()
        finally:
            writer.close()

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = await src.read(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    dst.write(data[: max(0, limit - sent)])
                    await dst.drain()
                    break
                dst.write(data)
                await dst.drain()
                sent += len(data)
        finally:
            dst.close()
