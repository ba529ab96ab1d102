"""CPPNs as GLSL fragment shaders: the GPU paints what `arena.brains.cppn.render` paints.

`fragment_source(net)` writes the CPPN out as straight-line GLSL, one statement a node, with
the activations by the same float32 formulas the CPU uses (`arena.brains.activations`) and the
weights as literals that parse to the very same float32 values. The sources are cached by the
network's arrays. `GLPainter` compiles them and paints into an offscreen framebuffer; it needs
a current OpenGL context (a pygame OPENGL window).
"""

import hashlib

import numpy as np

from arena.brains import activations as act
from arena.brains.cppn import N_INPUTS

_VERTEX = """#version 120
void main() { gl_Position = gl_Vertex; }
"""

def _literal(value) -> str:
    """A GLSL float literal that parses to exactly this float32."""
    text = repr(float(np.float32(value)))
    if text in ("nan", "inf", "-inf"):
        raise ValueError("a CPPN with NaN or infinite numbers has no shader")
    return text if ("." in text or "e" in text) else text + ".0"


# The formulas of arena.brains.activations, constant for constant.
_FUNCTIONS = f"""
float tanh32(float x) {{
    x = min(max(x, {_literal(-act._CLAMP)}), {_literal(act._CLAMP)});
    float x2 = x * x;
    float p = x2 * {_literal(act._A13)} + {_literal(act._A11)};
    p = x2 * p + {_literal(act._A9)};
    p = x2 * p + {_literal(act._A7)};
    p = x2 * p + {_literal(act._A5)};
    p = x2 * p + {_literal(act._A3)};
    p = x2 * p + {_literal(act._A1)};
    p = x * p;
    float q = x2 * {_literal(act._B6)} + {_literal(act._B4)};
    q = x2 * q + {_literal(act._B2)};
    q = x2 * q + {_literal(act._B0)};
    return p / q;
}}
float sin32(float x) {{
    float k = floor(x * {_literal(act._INV_TWO_PI)} + 0.5);
    float t = (x - k * {_literal(act._TWO_PI_HI)}) - k * {_literal(act._TWO_PI_LO)};
    if (t > {_literal(act._HALF_PI)}) t = {_literal(act._PI)} - t;
    if (t < -{_literal(act._HALF_PI)}) t = -{_literal(act._PI)} - t;
    float t2 = t * t;
    float p = t2 * {_literal(act._S11)} + {_literal(act._S9)};
    p = t2 * p + {_literal(act._S7)};
    p = t2 * p + {_literal(act._S5)};
    p = t2 * p + {_literal(act._S3)};
    return t + t * t2 * p;
}}
float gauss32(float x) {{
    float g = max(1.0 - x * x * {_literal(act._GAUSS_SCALE)}, 0.0);
    for (int i = 0; i < 8; i++) g = g * g;
    return g;
}}
float channel(float v) {{ return floor(clamp(v * 255.0 + 0.5, 0.0, 255.0)) / 255.0; }}
"""

_APPLY = {
    act.IDENTITY: "{}",
    act.SIGMOID: "(0.5 + 0.5 * tanh32(0.5 * {}))",
    act.TANH: "tanh32({})",
    act.RELU: "max({}, 0.0)",
    act.NEAT_SIGMOID: f"(0.5 + 0.5 * tanh32({_literal(act._NEAT_SLOPE)} * {{}}))",
    act.SIN: "sin32({})",
    act.COS: f"sin32({{}} + {_literal(act._HALF_PI)})",
    act.GAUSS: "gauss32({})",
    act.ABS: "abs({})",
    act.STEP: "({} > 0.0 ? 1.0 : 0.0)",
}

_cache = {}


def fragment_source(net) -> str:
    """The fragment shader of a one-network CPPN NetBatch (see `arena.brains.cppn`); uniforms
    `u_size` (picture width, height) and `u_z`."""
    key = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in (
        net.node_act, net.node_bias, net.node_conn_start, net.conn_src, net.conn_w, net.output_index))).hexdigest()
    if key in _cache:
        return _cache[key]
    n_nodes = int(net.node_offset[1])
    lines = ["#version 120", "uniform vec2 u_size;", "uniform float u_z;", _FUNCTIONS, "void main() {",
             "    float i = floor(gl_FragCoord.x);",
             "    float j = u_size.y - 1.0 - floor(gl_FragCoord.y);",  # GL counts rows from the bottom
             "    float shorter = min(u_size.x, u_size.y);",
             "    float n0 = (2.0 * i + 1.0 - u_size.x) / shorter;",
             "    float n1 = (2.0 * j + 1.0 - u_size.y) / shorter;",
             "    float n2 = sqrt(n0 * n0 + n1 * n1);",
             "    float n3 = u_z;",
             "    float n4 = 1.0;"]
    for node in range(N_INPUTS, n_nodes):
        terms = [_literal(net.node_bias[node])]
        for c in range(net.node_conn_start[node], net.node_conn_start[node + 1]):
            terms.append(f"{_literal(net.conn_w[c])} * n{int(net.conn_src[c])}")
        total = terms[0]
        for term in terms[1:]:  # summed left to right, as the CPU does
            total = f"({total} + {term})"
        lines.append(f"    float s{node} = {total};")
        lines.append(f"    float n{node} = {_APPLY[int(net.node_act[node])].format(f's{node}')};")
    outputs = [int(k) for k in net.output_index[0]]
    rgba = [f"channel(n{outputs[min(k, len(outputs) - 1)]})" for k in range(3)]
    rgba.append(f"channel(n{outputs[3]})" if len(outputs) == 4 else "1.0")
    lines.append(f"    gl_FragColor = vec4({', '.join(rgba)});")
    lines.append("}")
    source = "\n".join(lines) + "\n"
    _cache[key] = source
    return source


class GLPainter:
    """Paints CPPNs with OpenGL into an offscreen framebuffer. Needs a current context."""

    def __init__(self):
        self._programs = {}

    def _program(self, net):
        from OpenGL.GL import GL_FRAGMENT_SHADER, GL_VERTEX_SHADER
        from OpenGL.GL.shaders import compileProgram, compileShader

        source = fragment_source(net)
        if source not in self._programs:
            self._programs[source] = compileProgram(compileShader(_VERTEX, GL_VERTEX_SHADER),
                                                    compileShader(source, GL_FRAGMENT_SHADER))
        return self._programs[source]

    def paint(self, net, width: int, height: int, z: float = 0.0) -> np.ndarray:
        """uint8[height, width, 4], as `arena.brains.cppn.render` gives it."""
        from OpenGL import GL

        program = self._program(net)
        framebuffer = GL.glGenFramebuffers(1)
        texture = GL.glGenTextures(1)
        try:
            GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, None)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, framebuffer)
            GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, texture, 0)
            GL.glViewport(0, 0, width, height)
            GL.glDisable(GL.GL_BLEND)
            GL.glUseProgram(program)
            GL.glUniform2f(GL.glGetUniformLocation(program, "u_size"), float(width), float(height))
            GL.glUniform1f(GL.glGetUniformLocation(program, "u_z"), float(np.float32(z)))
            GL.glBegin(GL.GL_QUADS)
            for x, y in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                GL.glVertex2f(x, y)
            GL.glEnd()
            GL.glUseProgram(0)
            GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
            data = GL.glReadPixels(0, 0, width, height, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE)
        finally:
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
            GL.glDeleteFramebuffers(1, [framebuffer])
            GL.glDeleteTextures([texture])
        pixels = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 4)
        return pixels[::-1].copy()  # GL's rows run bottom up
