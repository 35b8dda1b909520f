// Backup plan form: "add copy" appends a blank copy row, "remove" takes one
// out. Progressive only: without scripts the form offers blank rows, and a
// row left empty is ignored.
(function () {
  "use strict";

  var table = document.getElementById("copy-table");
  var rows = document.getElementById("copy-rows");
  var tpl = document.getElementById("copy-row-template");
  if (!table || !rows || !tpl || !tpl.content) { return; }
  var next = parseInt(table.getAttribute("data-next"), 10) || rows.children.length;

  function wire(row) {
    var cell = row.querySelector(".copy-remove");
    if (!cell || cell.firstChild) { return; }
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = "×";
    b.title = table.getAttribute("data-remove-label") || "";
    b.setAttribute("aria-label", b.title);
    b.addEventListener("click", function () { row.parentNode.removeChild(row); });
    cell.appendChild(b);
  }

  function addRow() {
    var row = tpl.content.firstElementChild.cloneNode(true);
    var key = String(next++);
    row.querySelectorAll("[name], [id]").forEach(function (el) {
      ["name", "id"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) { el.setAttribute(attr, v.replace("__i__", key)); }
      });
    });
    rows.appendChild(row);
    wire(row);
    var first = row.querySelector("input");
    if (first) { first.focus(); }
  }

  Array.prototype.forEach.call(rows.children, wire);
  var add = document.createElement("button");
  add.type = "button";
  add.className = "secondary";
  add.id = "copy-add";
  add.textContent = table.getAttribute("data-add-label") || "+";
  add.addEventListener("click", addRow);
  var p = document.createElement("p");
  p.className = "actions";
  p.appendChild(add);
  table.parentNode.insertBefore(p, table.nextSibling);
})();
