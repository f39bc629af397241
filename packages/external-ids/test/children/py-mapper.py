# Spec 003's Python persistence (test/python-interop.test.ts), allocating GitHub
# ids the way its ExternalIDMapper does, each step under that file's own lock:
#   lock <counters>.json.lock: read, increment, back up (shutil.copy2), write temp + fsync + rename
#   lock <mapping>.json.lock:  read, add the mapping, back up, write temp + fsync + rename
# argv: <state dir> <task prefix> <count>
# Prints `ready`, waits for a line on stdin (a start barrier), then
# {"event":"done","results":[[internal_id, external_id], ...]}.
import fcntl
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

state_dir, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
MAPPING = state_dir / "external_id_mapping.json"
COUNTERS = state_dir / "external_id_counters.json"


@contextmanager
def file_lock(path: Path):
    lock_path = path.with_suffix(path.suffix + ".lock")
    with open(lock_path, "w") as lock_file:
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def load(path: Path, key: str, default):
    if not path.exists():
        return default
    with open(path) as f:
        return json.load(f).get(key, default)


def atomic_write(path: Path, key: str, value) -> None:
    if path.exists():
        shutil.copy2(path, path.with_suffix(path.suffix + ".bak"))
    data = {"version": "1.0", "updated": datetime.now(timezone.utc).isoformat(), key: value}
    fd, temp_path = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp_path, path)
    except Exception:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise


print("ready", flush=True)
sys.stdin.readline()
results = []
for i in range(count):
    internal_id = f"{prefix}-{i}"
    with file_lock(COUNTERS):
        counters = load(COUNTERS, "counters", {"jira": {}, "azure_devops": 0, "linear": {}, "github": 0})
        counters["github"] = counters.get("github", 0) + 1
        external_id = str(counters["github"])
        atomic_write(COUNTERS, "counters", counters)
    with file_lock(MAPPING):
        mappings = load(MAPPING, "mappings", {})
        mappings.setdefault(internal_id, {})["github"] = external_id
        atomic_write(MAPPING, "mappings", mappings)
    results.append([internal_id, external_id])
print(json.dumps({"event": "done", "results": results}), flush=True)
