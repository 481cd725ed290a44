"""A tiny reverse-mode autodiff engine: backpropagation written out as the slides do it.

Each ``Node`` holds a forward value and, for each input, the local derivative of its output with
respect to that input (02:360-394). ``backward`` walks the computational graph from the output
in reverse topological order and applies the chain rule, dL/dinput += dL/doutput * local
derivative (02:385, 04:216-224), so every node ends with dL/dnode in ``grad``. Plain Python
floats (float64), so results can be compared exactly with the analytic formulas.
"""

import math


class Node:
    """One value of the computational graph: its op, inputs with local derivatives, and gradient."""

    def __init__(self, value, name="", op="input", inputs=()):
        self.value = float(value)
        self.name = name
        self.op = op
        self.inputs = tuple(inputs)  # ((node, d self / d node), ...)
        self.grad = 0.0

    def _wrap(self, other):
        return other if isinstance(other, Node) else Node(other, name=f"{other:g}", op="const")

    def __add__(self, other):
        other = self._wrap(other)
        return Node(self.value + other.value, op="+", inputs=((self, 1.0), (other, 1.0)))

    __radd__ = __add__

    def __sub__(self, other):
        other = self._wrap(other)
        return Node(self.value - other.value, op="-", inputs=((self, 1.0), (other, -1.0)))

    def __mul__(self, other):
        other = self._wrap(other)
        return Node(self.value * other.value, op="*", inputs=((self, other.value), (other, self.value)))

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = self._wrap(other)
        return Node(
            self.value / other.value, op="/", inputs=((self, 1.0 / other.value), (other, -self.value / other.value**2))
        )

    def __pow__(self, exponent):
        return Node(
            self.value**exponent, op=f"^{exponent:g}", inputs=((self, exponent * self.value ** (exponent - 1)),)
        )

    def relu(self):
        return Node(max(self.value, 0.0), op="relu", inputs=((self, 1.0 if self.value > 0 else 0.0),))

    def log(self):
        return Node(math.log(self.value), op="log", inputs=((self, 1.0 / self.value),))

    def named(self, name):
        """Give the node a name (for tables and the graph figure); returns the node."""
        self.name = name
        return self

    def backward(self):
        """Set ``grad`` = d self / d node on every node of the graph below ``self``."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in node.inputs:
                parent.grad += node.grad * local
        return self


def topological_order(output):
    """Every node that ``output`` depends on, each after all of its inputs."""
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent, _ in node.inputs:
                visit(parent)
            order.append(node)

    visit(output)
    return order


def edges(output):
    """(input, node, local derivative, upstream gradient dL/dnode) for every edge: what the slides draw."""
    return [(parent, node, local, node.grad) for node in topological_order(output) for parent, local in node.inputs]


def named_edges(output):
    """``edges`` between named nodes only: unnamed intermediates (products, sums) are folded into the
    edge, whose local derivative becomes the product along the path (summed over parallel paths)."""
    found = {}

    def reach(node, factor, target):
        for parent, local in node.inputs:
            if parent.name and parent.op != "const":
                key = (id(parent), id(target))
                found[key] = (parent, target, found.get(key, (0, 0, 0.0))[2] + factor * local)
            elif parent.op != "const":
                reach(parent, factor * local, target)

    for node in topological_order(output):
        if node.name and node.op != "const":
            reach(node, 1.0, node)
    return [(parent, node, local, node.grad) for parent, node, local in found.values()]
