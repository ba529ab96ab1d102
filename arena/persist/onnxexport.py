"""Saved brains as ONNX models, so a trained network runs in any engine that reads ONNX.

Needs the optional extra: pip install 'neuroarena[onnx]'.

The model has input "observation" float32[batch, n_inputs] and output "action"
float32[batch, n_outputs]. A recurrent NEAT brain also takes "state_in" and gives "state_out",
float32[batch, n_state]: every non-input node's value, in evaluation order. Feed zeros at the
start of an episode and each tick's "state_out" as the next tick's "state_in"; that is the
memory `NetBatch` keeps in `node_state`.

The graph repeats the native forward's arithmetic operation for operation in float32 (a NEAT
network is built from its compiled `NetBatch`, so with the native evaluation order):

- sums start from the bias and add one weighted input at a time in the native order (a MatMul
  would sum in the engine's own order, and with wide inputs that drifts past 1e-5);
- activations are the formulas of `arena.brains.activations` (the rational tanh, the
  polynomial sine, gauss as a 256th power), not ONNX's Tanh, Sigmoid or Sin: a brain was
  evolved with these, and gauss differs from exp(-x^2) by up to 1e-3.

So ONNX outputs match `arena.brains.netbatch.forward` to float rounding, or bit for bit.
The native forward does no input or output scaling; neither does the model.
"""

import json

import numpy as np

from arena import __version__
from arena.brains import activations as act
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import NetBatch
from arena.core.errors import BrainError, UsageError
from arena.core.fileio import atomic_write_bytes
from arena.persist.brainfile import FORMAT, VERSION, Brain, NeatSpec, compile_brains

OPSET = 17  # onnxruntime 1.13 (2022) and later run it
IR_VERSION = 8  # the IR version of opset 17, so older runtimes load the file too
ONNX_NEEDED = "exporting to ONNX needs the onnx package: pip install 'neuroarena[onnx]'"
_F32 = np.float32


def _onnx():
    try:
        import onnx
    except ImportError:
        raise UsageError(ONNX_NEEDED) from None
    return onnx


def brain_to_onnx(brain: Brain):
    """The onnx.ModelProto of `brain` (an MLP or a NEAT network, feed-forward or recurrent)."""
    onnx = _onnx()
    from onnx import TensorProto, helper

    network = brain.network
    graph = _GraphBuilder(onnx)
    recurrent = isinstance(network, NeatSpec) and network.recurrent
    observation = helper.make_tensor_value_info("observation", TensorProto.FLOAT, ["batch", network.n_inputs])
    action = helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", network.n_outputs])
    inputs, outputs = [observation], [action]
    n_state = 0
    if isinstance(network, NeatSpec):
        n_state = _graph_network(graph, compile_brains([brain]), recurrent)
    else:
        _dense_graph(graph, network, brain.genome)
    if recurrent:
        inputs.append(helper.make_tensor_value_info("state_in", TensorProto.FLOAT, ["batch", n_state]))
        outputs.append(helper.make_tensor_value_info("state_out", TensorProto.FLOAT, ["batch", n_state]))
    kind = "neat" if isinstance(network, NeatSpec) else "mlp"
    onnx_graph = helper.make_graph(graph.nodes, f"{brain.arena}_{brain.role}_{kind}", inputs, outputs,
                                   initializer=graph.initializers)
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="neuroarena", producer_version=__version__,
                              doc_string=f"a {kind} brain for role {brain.role!r} of arena {brain.arena!r}")
    model.ir_version = IR_VERSION
    metadata = {
        "arena": brain.arena,
        "role": brain.role,
        "spec_version": str(brain.spec_version),
        "observation": json.dumps(list(brain.observation)),
        "action": json.dumps(list(brain.action)),
        "network": kind,
        "recurrent": json.dumps(recurrent),
        "brain_format": FORMAT,
        "brain_version": str(VERSION),
        "provenance": json.dumps(brain.provenance),
    }
    if recurrent:
        metadata["state"] = (f"{n_state} node values in evaluation order: zeros at the start of an episode, "
                             f"then each tick's state_out as the next tick's state_in")
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    return model


def export_onnx(brain: Brain, path, overwrite: bool = False) -> None:
    """Write `brain` as an ONNX model to `path` atomically; an existing file only with `overwrite`."""
    from pathlib import Path

    data = brain_to_onnx(brain).SerializeToString()
    if not overwrite and Path(path).exists():
        raise UsageError(f"{path}: already exists (not overwriting it)")
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _dense_graph(graph: "_GraphBuilder", spec: MLPSpec, genome: np.ndarray) -> None:
    """An MLP layer by layer, as `forward_block` runs the dense form: bias, plus input 0 times
    its weight row, plus input 1's, ..., then the activation."""
    layer = "observation"
    for index, ((weights, bias), code) in enumerate(zip(spec.split(genome[None]), spec.activation_codes())):
        n_in, n_out = weights.shape[1:]
        prefix = f"layer{index}"
        columns = graph.split_columns(layer, n_in, prefix)
        total = graph.constant(bias[0].reshape(1, n_out), f"{prefix}_bias")
        for i, column in enumerate(columns):
            row = graph.constant(weights[0, i].reshape(1, n_out), f"{prefix}_w{i}")
            total = graph.op("Add", [total, graph.op("Mul", [column, row], prefix)], prefix)
        layer = graph.activation(total, int(code), prefix)
    graph.op("Identity", [layer], "action", output="action")


def _graph_network(graph: "_GraphBuilder", net: NetBatch, recurrent: bool) -> int:
    """A graph network (NEAT) node by node, as `forward_graph_one` runs it; returns its state width.

    `value[k]` names the tensor float32[batch, 1] that holds node k's value right now, so a
    connection from a node not yet evaluated this tick reads its state_in column, as the native
    forward reads `node_state`.
    """
    n_in = net.n_inputs
    n_nodes = int(net.node_offset[1])
    n_state = n_nodes - n_in
    value = graph.split_columns("observation", n_in, "in")
    value += graph.split_columns("state_in", n_state, "state") if recurrent else [None] * n_state
    column_shape = graph.op("Shape", [value[0]], "column_shape")  # [batch, 1], for nodes without inputs
    for k in range(n_in, n_nodes):
        prefix = f"node{k}"
        total = graph.constant(np.array([[net.node_bias[k]]], _F32), f"{prefix}_bias")
        start, stop = int(net.node_conn_start[k]), int(net.node_conn_start[k + 1])
        if start == stop:
            total = graph.op("Expand", [total, column_shape], prefix)
        for c in range(start, stop):
            weight = graph.scalar(net.conn_w[c])
            total = graph.op("Add", [total, graph.op("Mul", [value[int(net.conn_src[c])], weight], prefix)], prefix)
        value[k] = graph.activation(total, int(net.node_act[k]), prefix)
    outputs = [value[int(j)] for j in net.output_index[0]]
    graph.op("Concat", outputs, "action", output="action", axis=1)
    if recurrent:
        graph.op("Concat", value[n_in:], "state_out", output="state_out", axis=1)
    return n_state


class _GraphBuilder:
    """Nodes and initializers of one graph, with unique tensor names and shared scalar constants."""

    def __init__(self, onnx):
        self.helper = onnx.helper
        self.numpy_helper = onnx.numpy_helper
        self.nodes = []
        self.initializers = []
        self._scalars = {}  # float32 bits -> initializer name
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def op(self, op_type: str, inputs: list, prefix: str, output: "str | None" = None, **attributes) -> str:
        """Add one node; return the name of its output."""
        output = output or self._name(f"{prefix}_{op_type.lower()}")
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=self._name(op_type), **attributes))
        return output

    def constant(self, array: np.ndarray, name: str) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def scalar(self, number) -> str:
        """A float32 scalar initializer, one per distinct value."""
        number = _F32(number)
        key = number.tobytes()
        if key not in self._scalars:
            self._scalars[key] = self.constant(np.array(number, _F32), f"const_{len(self._scalars)}")
        return self._scalars[key]

    def split_columns(self, tensor: str, width: int, prefix: str) -> list:
        """float32[batch, width] -> `width` tensors float32[batch, 1]."""
        sizes = self.constant(np.ones(width, np.int64), self._name(f"{prefix}_split_sizes"))
        outputs = [self._name(f"{prefix}_col{i}") for i in range(width)]
        self.nodes.append(self.helper.make_node("Split", [tensor, sizes], outputs, name=self._name("Split"), axis=1))
        return outputs

    def affine(self, x: str, scale, offset, prefix: str) -> str:
        """x * scale + offset, in that order (the order of the Horner steps in activations.py)."""
        return self.op("Add", [self.op("Mul", [x, self.scalar(scale)], prefix), self.scalar(offset)], prefix)

    def activation(self, x: str, code: int, prefix: str) -> str:
        """The tensor of activation `code` applied to `x`, by the formulas of `activate`."""
        if code == act.SIGMOID:
            return self._half_plus_half(self._tanh32(self.op("Mul", [x, self.scalar(act._HALF)], prefix), prefix),
                                        prefix)
        if code == act.TANH:
            return self._tanh32(x, prefix)
        if code == act.RELU:
            return self.op("Relu", [x], prefix)
        if code == act.NEAT_SIGMOID:
            slope = self.op("Mul", [x, self.scalar(act._NEAT_SLOPE)], prefix)
            return self._half_plus_half(self._tanh32(slope, prefix), prefix)
        if code == act.SIN:
            return self._sin32(x, prefix)
        if code == act.COS:
            return self._sin32(self.op("Add", [x, self.scalar(act._HALF_PI)], prefix), prefix)
        if code == act.GAUSS:
            square = self.op("Mul", [x, x], prefix)
            g = self.op("Sub", [self.scalar(act._ONE), self.op("Mul", [square, self.scalar(act._GAUSS_SCALE)], prefix)],
                        prefix)
            g = self.op("Max", [g, self.scalar(act._ZERO)], prefix)
            for _ in range(8):
                g = self.op("Mul", [g, g], prefix)
            return g
        if code == act.ABS:
            return self.op("Abs", [x], prefix)
        if code == act.STEP:  # 1 above zero, 0 at or below, NaN stays NaN
            zero = self.scalar(act._ZERO)
            at_most = self.op("Where", [self.op("LessOrEqual", [x, zero], prefix), zero, x], prefix)
            return self.op("Where", [self.op("Greater", [x, zero], prefix), self.scalar(act._ONE), at_most], prefix)
        if code == act.IDENTITY:
            return x
        raise BrainError(f"activation code {code} has no ONNX form")

    def _half_plus_half(self, x: str, prefix: str) -> str:
        """0.5 + 0.5 * x, the sigmoids' outer step."""
        return self.op("Add", [self.scalar(act._HALF), self.op("Mul", [self.scalar(act._HALF), x], prefix)], prefix)

    def _tanh32(self, x: str, prefix: str) -> str:
        """`tanh32`: clamp to +-7.905, then the 13/6 rational function by Horner's rule."""
        x = self.op("Clip", [x, self.scalar(-act._CLAMP), self.scalar(act._CLAMP)], prefix)
        x2 = self.op("Mul", [x, x], prefix)
        p = self.affine(x2, act._A13, act._A11, prefix)
        for coefficient in (act._A9, act._A7, act._A5, act._A3, act._A1):
            p = self.op("Add", [self.op("Mul", [x2, p], prefix), self.scalar(coefficient)], prefix)
        p = self.op("Mul", [x, p], prefix)
        q = self.affine(x2, act._B6, act._B4, prefix)
        for coefficient in (act._B2, act._B0):
            q = self.op("Add", [self.op("Mul", [x2, q], prefix), self.scalar(coefficient)], prefix)
        return self.op("Div", [p, q], prefix)

    def _sin32(self, x: str, prefix: str) -> str:
        """`sin32`: reduce to [-pi, pi] in two steps, fold to [-pi/2, pi/2], Taylor to x^11."""
        k = self.op("Floor", [self.affine(x, act._INV_TWO_PI, act._HALF, prefix)], prefix)
        t = self.op("Sub", [x, self.op("Mul", [k, self.scalar(act._TWO_PI_HI)], prefix)], prefix)
        t = self.op("Sub", [t, self.op("Mul", [k, self.scalar(act._TWO_PI_LO)], prefix)], prefix)
        for bound, mirror, compare in ((act._HALF_PI, act._PI, "Greater"), (-act._HALF_PI, -act._PI, "Less")):
            folded = self.op("Sub", [self.scalar(mirror), t], prefix)
            t = self.op("Where", [self.op(compare, [t, self.scalar(bound)], prefix), folded, t], prefix)
        t2 = self.op("Mul", [t, t], prefix)
        p = self.affine(t2, act._S11, act._S9, prefix)
        for coefficient in (act._S7, act._S5, act._S3):
            p = self.op("Add", [self.op("Mul", [t2, p], prefix), self.scalar(coefficient)], prefix)
        tail = self.op("Mul", [self.op("Mul", [t, t2], prefix), p], prefix)
        return self.op("Add", [t, tail], prefix)
