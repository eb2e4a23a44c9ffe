"""Writes tests/data/saved-dataset and tests/data/saved-datasetdict with the real `datasets` library's
save_to_disk, so the reader is tested on what that library writes (Refrain itself reads them with pyarrow
and does not need `datasets`). Made with datasets 5.2.0: `pip install datasets==5.2.0` in a scratch
environment, then `python tests/data/make_saved_datasets.py`.
"""

import datetime as dt
import shutil
from pathlib import Path

import datasets

HERE = Path(__file__).resolve().parent


def main() -> None:
    rows = {
        "doc_id": ["hf-1", "hf-2", "hf-3", "hf-4"],
        "body": ["The harvest festival opened in Varnholm with music.",
                 "인민대중제일주의는 우리 공화국의 영원한 생명선이다.",
                 "",
                 "The new railway bridge joins the two river towns."],
        "headline": ["Harvest festival", "생명선", "empty", "Railway bridge"],
        "published": [dt.datetime(2024, 7, 14, 9, 30), dt.datetime(2023, 4, 5), None, dt.datetime(2022, 1, 1)],
        "topics": [["culture", "farming"], ["politics"], [], ["transport"]],
    }
    one = datasets.Dataset.from_dict(rows)
    # shuffled and selected: save_to_disk must write the selection, not the whole table with an index
    one = one.shuffle(seed=3).select([0, 1, 2, 3])
    for name in ("saved-dataset", "saved-datasetdict"):
        shutil.rmtree(HERE / name, ignore_errors=True)
    one.save_to_disk(str(HERE / "saved-dataset"))
    datasets.DatasetDict({"train": one.select([0, 1]), "test": one.select([2, 3])}).save_to_disk(
        str(HERE / "saved-datasetdict"))


if __name__ == "__main__":
    main()
