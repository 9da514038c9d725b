"""What lib3mf (the 3MF Consortium's reference library) reads from 3MF packages: per build
item, the object type, its triangle count with all components, and its bounding box in mm
after the item's and the components' transforms. One JSON line per file; the to3mf 3MF
reader is checked against it (tests/corpus.rs). Run with the validate3mf virtualenv's python."""
import json
import sys

import lib3mf

WRAPPER = lib3mf.get_wrapper()
MM = {0: 0.001, 1: 1.0, 2: 10.0, 3: 25.4, 4: 304.8, 5: 1000.0}
TYPES = {0: "other", 1: "model", 2: "support", 3: "solidsupport", 4: "surface"}


def mul(a, b):
    """a then b, both as 4x3 row-vector transforms."""
    return [[sum(a[r][k] * b[k][c] for k in range(3)) + (b[3][c] if r == 3 else 0) for c in range(3)] for r in range(4)]


def walk(obj, t, acc, depth=0):
    if depth > 32:
        raise ValueError("too deep")
    if obj.IsMeshObject():
        acc["triangles"] += obj.GetTriangleCount()
        for v in obj.GetVertices():
            p = v.Coordinates
            q = [p[0] * t[0][c] + p[1] * t[1][c] + p[2] * t[2][c] + t[3][c] for c in range(3)]
            for c in range(3):
                acc["min"][c] = min(acc["min"][c], q[c])
                acc["max"][c] = max(acc["max"][c], q[c])
    elif obj.IsComponentsObject():
        for i in range(obj.GetComponentCount()):
            comp = obj.GetComponent(i)
            m = comp.GetTransform().Fields
            walk(comp.GetObjectResource(), mul([list(r) for r in m], t), acc, depth + 1)


def read(path):
    model = WRAPPER.CreateModel()
    model.QueryReader("3mf").ReadFromFile(path)
    scale = MM[model.GetUnit()]
    items = []
    it = model.GetBuildItems()
    while it.MoveNext():
        item = it.GetCurrent()
        obj = item.GetObjectResource()
        acc = {"triangles": 0, "min": [float("inf")] * 3, "max": [float("-inf")] * 3}
        walk(obj, [list(r) for r in item.GetObjectTransform().Fields], acc)
        items.append({"type": TYPES.get(obj.GetType(), "?"), "triangles": acc["triangles"],
                      "min": [x * scale if abs(x) != float("inf") else None for x in acc["min"]],
                      "max": [x * scale if abs(x) != float("inf") else None for x in acc["max"]]})
    return items


for path in sys.argv[1:]:
    try:
        print(json.dumps({"file": path, "items": read(path)}))
    except Exception as e:  # lib3mf refuses the file: the test then expects nothing.
        print(json.dumps({"file": path, "error": str(e)[:200]}))
