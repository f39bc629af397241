# Spec 003's lock, as its Python tool takes it (test/processes/lock-interop.test.ts):
# open("<file>.json.lock", "w") and fcntl.flock on it.
# argv: try <lock file>   LOCK_EX | LOCK_NB once; prints "locked" or "busy", exits
#       hold <lock file>  LOCK_EX (waits); prints "held", keeps it until a line on stdin
import fcntl
import sys

mode, lock_path = sys.argv[1], sys.argv[2]
with open(lock_path, "w") as lock_file:
    if mode == "try":
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("busy", flush=True)
            sys.exit(0)
        print("locked", flush=True)
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
    else:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        print("held", flush=True)
        sys.stdin.readline()
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
        print("released", flush=True)
