"""The "new leaf tensor" form: collects name, shape, initialiser, values, dtype, requires_grad."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

INITS = ("randn", "rand", "zeros", "ones", "full", "arange", "values")
DTYPES = ("float32", "float64", "int64")

_INIT_TIPS = {
    "randn": "Samples from a standard normal distribution (seeded, so numbers repeat).",
    "rand": "Samples uniformly from [0, 1).",
    "zeros": "All elements 0.",
    "ones": "All elements 1.",
    "full": "Every element set to the fill value typed below.",
    "arange": "0, 1, 2, ... laid out in the given shape.",
    "values": "Exactly the literal values typed below, e.g. [10.0, 5.0].",
}
_VALUE_PLACEHOLDERS = {
    "full": "fill value, e.g. 3.5",
    "values": "literal values, e.g. [10.0, 5.0]",
}


@dataclass(frozen=True)
class CreateRequest:
    """What the form asks for; the workspace turns it into a statement."""

    name: str
    shape_text: str
    init: str
    values_text: str
    dtype: str
    requires_grad: bool


class TensorCreateForm(QtWidgets.QGroupBox):
    """Form widgets only; the lab turns `request()` into a statement when Create is clicked."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("New leaf tensor", parent)
        self.setObjectName("createTensorBox")
        self.name_edit = QtWidgets.QLineEdit(objectName="tensorNameEdit")
        self.name_edit.setToolTip("The Python name the new tensor is bound to.")
        self.name_edit.setPlaceholderText("name")
        self.shape_edit = QtWidgets.QLineEdit("2, 4", objectName="tensorShapeEdit")
        self.shape_edit.setPlaceholderText("e.g. 2, 4  or  2x4  (empty: scalar)")
        self.shape_edit.setToolTip(
            "Size of each dimension, like 2, 4 or 2x4; leave empty for a 0-d scalar."
        )
        self.init_combo = QtWidgets.QComboBox(objectName="tensorInitCombo")
        self.init_combo.addItems(INITS)
        self.init_combo.setToolTip("How the starting values are made (the torch factory used).")
        for i, init in enumerate(INITS):
            self.init_combo.setItemData(i, _INIT_TIPS[init], QtCore.Qt.ItemDataRole.ToolTipRole)
        self.values_edit = QtWidgets.QLineEdit(objectName="tensorValuesEdit")
        self.values_edit.setToolTip(
            "Literal values for 'values' (e.g. [10.0, 5.0]) or the fill value for 'full'."
        )
        self.dtype_combo = QtWidgets.QComboBox(objectName="tensorDtypeCombo")
        self.dtype_combo.addItems(DTYPES)
        self.dtype_combo.setToolTip(
            "Element type: gradients need a floating-point dtype; int64 cannot require grad."
        )
        self.requires_grad_check = QtWidgets.QCheckBox(
            "requires_grad", objectName="requiresGradCheck"
        )
        self.requires_grad_check.setChecked(True)
        self.requires_grad_check.setToolTip(
            "Ask autograd to record every operation on this leaf so backward can fill its .grad."
        )
        self.create_button = QtWidgets.QPushButton("Create", objectName="createTensorButton")
        self.create_button.setToolTip(
            "Run the torch factory statement that creates this leaf (Return in a field does too).")
        self.create_button.setDefault(False)

        form = QtWidgets.QFormLayout(self)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", self.name_edit)
        form.addRow("Shape", self.shape_edit)
        form.addRow("Init", self.init_combo)
        form.addRow("Values", self.values_edit)
        form.addRow("dtype", self.dtype_combo)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.requires_grad_check)
        row.addStretch(1)
        row.addWidget(self.create_button)
        form.addRow(row)
        self.init_combo.currentTextChanged.connect(self._on_init_changed)
        self._on_init_changed(self.init_combo.currentText())
        # Return in any text field creates, as in a dialog: type a shape, press Return.
        for edit in (self.name_edit, self.shape_edit, self.values_edit):
            edit.returnPressed.connect(self.create_button.click)

    def request(self) -> CreateRequest:
        """The form's current contents."""
        return CreateRequest(
            name=self.name_edit.text().strip(),
            shape_text=self.shape_edit.text().strip(),
            init=self.init_combo.currentText(),
            values_text=self.values_edit.text().strip(),
            dtype=self.dtype_combo.currentText(),
            requires_grad=self.requires_grad_check.isChecked(),
        )

    def suggest_name(self, name: str, taken: set[str]) -> None:
        """Offer `name` unless the learner typed a free name of their own."""
        current = self.name_edit.text().strip()
        if not current or current in taken:
            self.name_edit.setText(name)

    def _on_init_changed(self, init: str) -> None:
        # The values field only matters for full/values: say so instead of hiding it.
        self.values_edit.setPlaceholderText(_VALUE_PLACEHOLDERS.get(init, f"not used by {init}"))
