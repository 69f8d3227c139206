import importlib
import inspect
import re

import attrs


def sig(path: str) -> None:
    """Print ```text fenced signature of module:qualname."""
    module, _, name = path.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    if isinstance(obj, property):
        text = f"{name.split('.')[-1]}: {inspect.signature(obj.fget).return_annotation}  (read-only property)"
    else:
        s = str(inspect.signature(obj))
        s = re.sub(r": '([^']*)'", r": \1", s)
        s = re.sub(r"-> '([^']*)'", r"-> \1", s)
        s = s.replace("(self, ", "(").replace("(cls, ", "(")
        text = f"{name.split('.')[-1]}{s}"
    print("```text")
    print(wrap(text))
    print("```")


def wrap(text: str, width: int = 100) -> str:
    if len(text) <= width:
        return text
    head, _, rest = text.partition("(")
    params, _, ret = rest.rpartition(")")
    depth, cur, items = 0, "", []
    for ch in params:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        items.append(cur.strip())
    return head + "(\n" + "".join(f"    {i},\n" for i in items) + ")" + ret


def fields(cls_path: str, descriptions: dict) -> None:
    module, _, name = cls_path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    names = [f.name for f in attrs.fields(cls)]
    missing = set(names) ^ set(descriptions)
    if missing:
        raise SystemExit(f"descriptions out of date for {cls_path}: {sorted(missing)}")
    print("| field | type | meaning |")
    print("|---|---|---|")
    for f in attrs.fields(cls):
        t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        default = ""
        if f.default is not attrs.NOTHING and not isinstance(f.default, attrs.Factory):
            default = f" (default `{f.default!r}`)"
        t = t.replace("|", "\\|")
        print(f"| `{f.name}` | `{t}` | {descriptions[f.name]}{default} |")
