/* The detachment indicators' charts (research/indicators.html). Loaded as a file: the content
   security policy forbids inline scripts. The data comes from <script id="research-charts"
   type="application/json">: {name: {kind, categories, unit, max?, series: [{name, data, type?, axis?}],
   secondAxis?}}; each element with data-research-chart="name" draws one chart. */
(function () {
  "use strict";

  var COLORS = ["#b4001e", "#f0a830", "#5470c6", "#91cc75", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

  function axis(spec) {
    var value = {
      type: "value",
      minInterval: spec.unit === "次" ? 1 : undefined,
      axisLabel: { formatter: spec.unit === "%" ? "{value}%" : "{value}" }
    };
    if (spec.max) value.max = spec.max;
    var axes = [value];
    if (spec.secondAxis) {
      axes.push({
        type: "value", max: spec.secondAxis.max, min: 0, splitLine: { show: false },
        axisLabel: { formatter: "{value}" + spec.secondAxis.name }
      });
    }
    return axes;
  }

  function option(spec, width) {
    var longest = spec.categories.reduce(function (most, label) { return Math.max(most, label.length); }, 0);
    // Rotate the category labels when they would not fit side by side (about 13px a character).
    var longLabels = longest * spec.categories.length * 13 > Math.max(200, width - 100);
    return {
      color: COLORS,
      tooltip: { trigger: "axis", axisPointer: { type: spec.kind === "line" ? "line" : "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 48, right: spec.secondAxis ? 48 : 16, bottom: longLabels ? 80 : 40, top: 56 },
      xAxis: {
        type: "category",
        data: spec.categories,
        axisLabel: { interval: 0, rotate: longLabels ? 30 : 0 }
      },
      yAxis: axis(spec),
      series: spec.series.map(function (s) {
        var type = s.type || spec.kind;
        return {
          name: s.name,
          type: type,
          data: s.data,
          yAxisIndex: s.axis || 0,
          barMaxWidth: 26,
          smooth: false,
          connectNulls: true,
          label: { show: type === "bar" && spec.categories.length <= 6, position: "top", formatter: function (p) { return p.value == null ? "" : p.value + (spec.unit === "%" && !s.axis ? "%" : ""); } }
        };
      })
    };
  }

  function draw() {
    if (typeof window.echarts === "undefined") return;
    var source = document.getElementById("research-charts");
    if (!source) return;
    var specs = JSON.parse(source.textContent);
    document.querySelectorAll("[data-research-chart]").forEach(function (el) {
      var spec = specs[el.dataset.researchChart];
      if (!spec || el.dataset.drawn) return;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(spec, el.clientWidth));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
