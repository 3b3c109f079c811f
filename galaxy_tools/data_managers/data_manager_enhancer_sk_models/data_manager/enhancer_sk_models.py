"""Data manager of enhancer_sk: install a published model of the registry into the enhancer_sk_models table.

Converts the registry entry NAME (enhancer_sk.model_files.registry) from its source files in the data home
into a model file in the output's extra files folder, and writes the data manager JSON: one row
(value, name, path) of the data table enhancer_sk_models; Galaxy then moves the file into its tool data.

The data home is never written to: the conversion runs in a scratch data home (in the job's working
folder) holding links to the data home's source files (and to a valid converted copy when the data
home already has one). A missing source file is downloaded into the scratch data home only with
--download; otherwise the tool stops with a message naming the file.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="registry name (enhancer-sk models)")
    parser.add_argument("--data-home", default="", help="the data home holding the source files "
                        "(default: $ENHANCER_SK_DATA, else ~/enhancer_sk_data)")
    parser.add_argument("--download", action="store_true", help="download missing source files")
    parser.add_argument("--value", default="", help="the table's value (default: the registry name)")
    parser.add_argument("--display-name", default="", help="the table's name (default: the registry title)")
    parser.add_argument("--extra-files-path", required=True)
    parser.add_argument("--output", required=True, help="the data manager JSON")
    args = parser.parse_args(argv)

    import enhancer_sk
    from enhancer_sk.datasets import get_data_home
    from enhancer_sk.model_files.registry import PRETRAINED_FOLDER, cached_path, fetch_pretrained, get_pretrained

    try:
        entry = get_pretrained(args.name)
    except KeyError as exc:
        sys.exit(f"enhancer_sk data manager: {exc.args[0]}")
    home = get_data_home(args.data_home.strip() or None)
    print(f"[data manager] {entry.name} from the data home {home}", file=sys.stderr)

    scratch = Path("enhancer_sk_data_home").absolute()
    (scratch / entry.folder).mkdir(parents=True, exist_ok=True)
    for local in entry.files:
        source = home / entry.folder / local
        if source.is_file():
            (scratch / entry.folder / local).symlink_to(source)
        elif not args.download:
            sys.exit(f"enhancer_sk data manager: {source} is missing: the published model {entry.name} needs it "
                     f"({entry.source}). Put the file there, point the data home at the folder holding "
                     f"{entry.folder}/, or allow the download.")
    cached = cached_path(entry.name, home)
    if cached.is_file() and cached.with_name(cached.name + ".json").is_file():  # reused if still valid
        (scratch / PRETRAINED_FOLDER).mkdir(exist_ok=True)
        for path in (cached, cached.with_name(cached.name + ".json")):
            (scratch / PRETRAINED_FOLDER / path.name).symlink_to(path)
    # fetch_pretrained also accepts a valid copy in $ENHANCER_SK_CACHE; otherwise it converts into the scratch home
    try:
        model_path = fetch_pretrained(entry.name, scratch, download_if_missing=args.download)
    except (OSError, ValueError) as exc:
        sys.exit(f"enhancer_sk data manager: {exc}")

    value = args.value.strip() or entry.name
    file_name = f"{value}{model_path.suffix}"
    os.makedirs(args.extra_files_path, exist_ok=True)
    shutil.copyfile(model_path, os.path.join(args.extra_files_path, file_name))
    shutil.rmtree(scratch, ignore_errors=True)
    name = args.display_name.strip() or f"{entry.title} (enhancer_sk {enhancer_sk.__version__})"
    row = {"value": value, "name": name, "path": file_name}
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump({"data_tables": {"enhancer_sk_models": [row]}}, out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"[data manager] installed {value}: {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
