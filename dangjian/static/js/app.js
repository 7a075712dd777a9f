/* The platform's own behaviour. Loaded as a file: the content security policy forbids inline scripts. */
(function () {
  "use strict";

  // Charts: an element with data-chart names a <script type="application/json"> holding
  // {categories: [...], series: [{name, data}]}, drawn as a bar chart by ECharts.
  function drawCharts(root) {
    if (typeof window.echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        color: ["#b4001e", "#f0a830", "#5470c6", "#91cc75"],
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 40, right: 16, bottom: 60, top: 36 },
        xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, rotate: data.categories.join("").length > 8 * Math.max(1, el.clientWidth / 600) * 5 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.data, barMaxWidth: 28 }; })
      });
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // Buttons and forms that ask before doing something that cannot be undone.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Links that ask first (an export in clear is logged for every member in it).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-confirm-link]") : null;
    if (link && !window.confirm(link.getAttribute("data-confirm-link"))) event.preventDefault();
  });

  // The close form shows the merge target only when merging.
  function toggleMergeTarget() {
    var status = document.getElementById("id_status");
    var target = document.getElementById("field-merged_into");
    if (!status || !target) return;
    target.classList.toggle("d-none", status.value !== "merged");
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_status") toggleMergeTarget();
  });

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    toggleMergeTarget();
  });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
})();
