"""A real Apache Kafka broker (KRaft, single node) for local runs and tests.

The jars come from Maven Central through ``infra/kafka/pom.xml`` and are cached under
``.cache/kafka/<version>/`` so that a second start needs no network. The broker runs as
``java -cp <jars> kafka.Kafka server.properties``; readiness is a metadata round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from loguru import logger

from core.kafka_admin import kafka_reachable
from pulse.local.config import CacheSettings
from pulse.local.process import ManagedProcess, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra" / "kafka"
POM = INFRA_DIR / "pom.xml"


class KafkaSetupError(RuntimeError):
    """The local broker could not be installed or started; the message says what to fix."""


def jar_cache_dir(cache_dir: Path) -> Path:
    """Where the broker's jars live, keyed by the pom's content so a version bump refetches."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    return cache_dir / "kafka" / digest


def ensure_jars(cache_dir: Path) -> Path:
    """Fetch the broker's jars with Maven unless they are already in ``cache_dir``; return where
    they are."""
    libs = jar_cache_dir(cache_dir)
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise KafkaSetupError("the local Kafka broker needs Java 17+ and Maven on PATH")
    libs.mkdir(parents=True, exist_ok=True)
    logger.info("fetching Kafka jars with Maven into {}", libs)
    cmd = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={libs}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise KafkaSetupError(f"Maven could not fetch the Kafka jars:\n{result.stdout[-4000:]}")
    marker.touch()
    return libs


def classpath(cache_dir: Path) -> str:
    libs = ensure_jars(cache_dir)
    return os.pathsep.join(str(p) for p in sorted(libs.glob("*.jar")))


@dataclass(frozen=True)
class KafkaNode:
    """One KRaft node (broker and controller) with its own data directory and ports."""

    data_dir: Path
    port: int = 19092
    controller_port: int = 19093
    host: str = "127.0.0.1"
    partitions: int = 6
    heap: str = "512m"
    cache_dir: Path = field(default_factory=lambda: CacheSettings().cache_dir)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.data_dir / "server.properties"

    def write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        text = Template((INFRA_DIR / "server.properties.template").read_text()).substitute(
            host=self.host,
            port=self.port,
            controller_port=self.controller_port,
            log_dir=self.data_dir / "logs",
            partitions=self.partitions,
        )
        self.config_file.write_text(text)

    def java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={INFRA_DIR / 'log4j2.properties'}",
            "-cp",
            classpath(self.cache_dir),
            main,
            *args,
        ]

    def format_storage(self) -> None:
        """Format the log directory once (``--ignore-formatted`` keeps an existing cluster)."""
        id_file = self.data_dir / "cluster.id"
        if not id_file.exists():
            out = subprocess.run(
                self.java("kafka.tools.StorageTool", "random-uuid"),
                capture_output=True,
                text=True,
                check=True,
            )
            id_file.write_text(out.stdout.strip().splitlines()[-1])
        cluster_id = id_file.read_text().strip()
        result = subprocess.run(
            self.java(
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(self.config_file),
                "--ignore-formatted",
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise KafkaSetupError(
                f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}"
            )

    def process(self, log_file: Path) -> ManagedProcess:
        return ManagedProcess(
            name="kafka",
            pid_file=self.data_dir / "kafka.pid",
            log_file=log_file,
            ready=lambda: is_ready(self.bootstrap),
        )

    def start(self, log_file: Path, timeout: float = 90.0) -> ManagedProcess:
        """Start the broker in the background and return once it answers metadata requests."""
        self.write_config()
        self.format_storage()
        proc = self.process(log_file)
        proc.spawn(self.java("kafka.Kafka", str(self.config_file)))
        wait_until(proc.ready, timeout, f"Kafka at {self.bootstrap}", alive=proc.is_running)
        return proc


def is_ready(bootstrap: str, timeout: float = 3.0) -> bool:
    """True when a broker at ``bootstrap`` answers a metadata request with at least one broker."""
    with _quiet("aiokafka"):
        return asyncio.run(kafka_reachable(bootstrap, timeout))


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """A probe that fails is an expected answer ("not yet"), not an error worth a log line."""
    log = logging.getLogger(name)
    previous = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(previous)
