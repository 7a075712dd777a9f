/* Dues pages (members/dues_*.html): the running total of the months ticked for a payment, the
   payer's name shown only for a proxy payment, and "tick all" on the batch page. Loaded as a
   file: the content security policy forbids inline scripts. */
(function () {
  "use strict";

  function fen(text) {
    var parts = String(text).split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function yuan(cents) {
    var whole = Math.floor(cents / 100);
    var rest = String(cents % 100);
    return whole + "." + (rest.length < 2 ? "0" + rest : rest);
  }

  function updatePayment() {
    var form = document.getElementById("pay-form");
    if (!form) return;
    var total = 0;
    form.querySelectorAll("input[name=months]:checked").forEach(function (box) {
      total += fen(box.dataset.amount);
    });
    var shown = document.getElementById("pay-total");
    if (shown) shown.textContent = yuan(total);
    var amount = form.querySelector("input[name=amount]");
    if (amount && (!amount.value || amount.dataset.filled === "1")) {
      amount.value = total ? yuan(total) : "";
      amount.dataset.filled = "1";
    }
  }

  function togglePayer() {
    var form = document.getElementById("pay-form");
    if (!form) return;
    var proxy = form.querySelector("input[name=kind][value=paid_by_proxy]");
    var field = document.getElementById("field-pay-payer_name");
    if (proxy && field) field.classList.toggle("d-none", !proxy.checked);
  }

  function updateBatch() {
    var form = document.getElementById("batch-form");
    if (!form) return;
    var count = 0;
    var total = 0;
    form.querySelectorAll("input[name=months]:checked").forEach(function (box) {
      count += 1;
      total += fen(box.dataset.amount);
    });
    var shown = document.getElementById("batch-total");
    if (shown) shown.textContent = count + " 人，" + yuan(total) + " 元";
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target) return;
    if (target.id === "batch-all") {
      document.querySelectorAll("#batch-form input[name=months]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.name === "amount") target.dataset.filled = "0";
    updatePayment();
    togglePayer();
    updateBatch();
  });

  document.addEventListener("DOMContentLoaded", function () {
    updatePayment();
    togglePayer();
    updateBatch();
  });
})();
