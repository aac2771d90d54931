"""Synthetic landing directories: the bundled demo data (DEMO.md) and large ones for benchmarks.

    write_demo_landing(out_dir)                   the demo panels, 2022-Q1 .. 2023-Q4
    write_scale_landing(out_dir, posts, accounts) N posts over M accounts, in every layout
    write_incremental_file(out_dir, quarter)      one more file of new posts in one quarter
"""

from dagster_project.generate.demo_files import write_demo_landing
from dagster_project.generate.scale import write_incremental_file, write_scale_landing

__all__ = ["write_demo_landing", "write_incremental_file", "write_scale_landing"]
