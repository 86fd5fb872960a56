"""Progress bars (rich) for command-line ingests of folders and URLs, counted in inputs; WARC
backfills count bytes instead (backfill.py). Each bar keeps a running tally of what the run
achieved, the same words for every kind of input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pipeline.store import RunCounts


def tally(total: RunCounts) -> str:
    return f"loaded {total.loaded}, merged {total.merged}, rejected {total.rejected}"


@contextmanager
def counted_inputs(
    console: Console, description: str, inputs: int
) -> Iterator[Callable[[RunCounts], None]]:
    """A bar over `inputs` inputs; yields the on_batch callback that advances it."""
    total = RunCounts()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[tally]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=inputs, tally="")

        def on_batch(counts: RunCounts) -> None:
            total.add(counts)
            progress.update(task, completed=total.inputs_read, tally=tally(total))

        yield on_batch
