// The growth chart: reads the JSON block #growth-data and draws one line per skill with uPlot into #growth-chart.
(function () {
  "use strict";

  var COLOURS = ["#0b57a4", "#b3261e", "#176a36", "#7b3fa0", "#9c5d00", "#00796b", "#c2185b", "#455a64", "#5d4037", "#1a237e"];

  function draw() {
    var holder = document.getElementById("growth-chart");
    var source = document.getElementById("growth-data");
    if (!holder || !source || !window.uPlot) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var skills = Object.keys(data.skills);
    var days = {};
    skills.forEach(function (skill) {
      data.skills[skill].forEach(function (point) { days[point[0]] = true; });
    });
    var dates = Object.keys(days).sort();
    var xs = dates.map(function (day) { return Date.parse(day + "T00:00:00+09:00") / 1000; });
    var columns = [xs];
    var series = [{ label: "日付", value: function (u, v) { return v == null ? "" : new Date(v * 1000).toLocaleDateString("ja-JP"); } }];
    skills.forEach(function (skill, index) {
      var byDay = {};
      data.skills[skill].forEach(function (point) { byDay[point[0]] = point[1]; });
      columns.push(dates.map(function (day) { return day in byDay ? byDay[day] : null; }));
      series.push({ label: data.labels[skill] || skill, stroke: COLOURS[index % COLOURS.length], width: 2, spanGaps: true, points: { size: 6 } });
    });
    var width = Math.max(280, holder.clientWidth);
    var chart = new window.uPlot({
      width: width,
      legend: { live: false },
      height: 300,
      series: series,
      scales: { y: { range: [0, 100] } },
      axes: [{}, { values: function (u, ticks) { return ticks.map(function (t) { return t; }); } }]
    }, columns, holder);
    window.addEventListener("resize", function () {
      chart.setSize({ width: Math.max(280, holder.clientWidth), height: 300 });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
