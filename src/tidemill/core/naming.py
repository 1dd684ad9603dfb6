"""Where things are kept: deterministic locations of batch results."""

from __future__ import annotations

from pathlib import Path


def job_dir(data_dir: Path, account: int, job: str) -> Path:
    """Everything the batches of one job keep: results, export journals."""
    return data_dir / "warehouse" / str(account) / job


def result_dir(data_dir: Path, account: int, job: str, run_id: int) -> Path:
    """The directory holding one batch's committed result (rerun attempts replace it)."""
    return job_dir(data_dir, account, job) / str(run_id)


def result_file(data_dir: Path, account: int, job: str, run_id: int) -> Path:
    return result_dir(data_dir, account, job, run_id) / "result.parquet"
