"""Slot creation shared by the scratch optimizers: one slot per model variable, in Keras's order."""


def make_slots(optimizer, variables, names, initializer="zeros"):
    """One list per name in ``names``, each holding a slot per variable (built with add_variable_from_reference).

    Slots are created variable by variable (all of a variable's slots, then the next variable's), the
    order and names the built-ins use, so the two classes' ``optimizer.variables`` line up one to
    one. A variable that Keras overwrites with its gradient (``overwrite_with_gradient``, float8
    scales) is never stepped, so it gets ``None`` instead of a slot, as in Keras.
    """
    slots = tuple([] for _ in names)
    for variable in variables:
        skip = optimizer._overwrite_variable_with_gradient(variable)
        for name, column in zip(names, slots):
            column.append(
                None if skip else optimizer.add_variable_from_reference(variable, name=name, initializer=initializer)
            )
    return slots
