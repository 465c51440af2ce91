"""The ``[plugins.archive]`` table of hub.toml."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from hub import ConfigModel

MIB = 1024 * 1024


class ArchiveConfig(ConfigModel):
    directory: Path | None = Field(
        default=None, description="Where the files go; default <hub.data_dir>/archive."
    )
    max_bytes: int = Field(default=64 * MIB, ge=1, description="Rotate once a file is this big.")
    rotate_every: float = Field(
        default=3600.0, gt=0, description="Seconds before a non-empty file is rotated."
    )
    compress: bool = Field(default=True, description="gzip rotated files.")
    patterns: list[str] = Field(
        default=["#"], min_length=1, description="Routing-key patterns of what to archive."
    )
    fsync: bool = Field(
        default=False, description="fsync every write; otherwise only rotated files are synced."
    )

    def resolve_directory(self, default: Path) -> Path:
        return self.directory if self.directory is not None else default
