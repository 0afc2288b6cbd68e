#!/usr/bin/python3
"""tests/python/test_import_without_numpy.py - `import lossopt` needs only the
standard library (SPEC 4): in a child interpreter where NumPy cannot be
imported (sys.modules["numpy"] = None makes every `import numpy` raise
ImportError), lossopt imports, lossopt.info() works, and the array
functions raise an ImportError that names NumPy and the function, only when
called."""
import json
import os
import subprocess
import sys

NAME = "test_import_without_numpy"

CHILD = r'''
import json, sys
sys.modules["numpy"] = None          # blocks numpy: `import numpy` raises ImportError
import lossopt
info = lossopt.info()
errors = {}
for name, args in [("mse", ([1.0], [1.0])),
                   ("cross_entropy", ([[1.0, 2.0]], [0])),
                   ("adam_step", ([1.0], [1.0], [0.0], [0.0]))]:
    try:
        kwargs = {"step": 1} if name.endswith("_step") else {}
        getattr(lossopt, name)(*args, **kwargs)
        errors[name] = None
    except ImportError as e:
        errors[name] = str(e)
print(json.dumps({"info": info, "errors": errors,
                  "numpy_loaded": sys.modules.get("numpy") is not None}))
'''


def main():
    failures = []
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                            env=os.environ.copy(), timeout=120)
    if result.returncode != 0:
        print("%s: FAIL: the child exited with %d:\n%s%s" % (NAME, result.returncode,
                                                            result.stdout, result.stderr))
        return 1
    report = json.loads(result.stdout.strip().splitlines()[-1])
    info = report["info"]
    if not (info.get("version") and os.path.exists(info.get("library", ""))
            and info.get("active_isa") in info.get("supported_isas", [])):
        failures.append("lossopt.info() without numpy: %r" % info)
    if report["numpy_loaded"]:
        failures.append("numpy was loaded in the child")
    for name, message in report["errors"].items():
        if message is None:
            failures.append("lossopt.%s ran without numpy" % name)
        elif "NumPy" not in message or "lossopt.%s" % name not in message:
            failures.append("lossopt.%s's ImportError does not name NumPy and the function: %r"
                            % (name, message))
    for failure in failures:
        print("%s: FAIL: %s" % (NAME, failure))
    print("%s: import lossopt and lossopt.info() without numpy (library %s, version %s); "
          "%d array functions raise ImportError naming NumPy"
          % (NAME, info.get("library"), info.get("version"),
             sum(1 for m in report["errors"].values() if m and "NumPy" in m)))
    print("%s: %s" % (NAME, "FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
