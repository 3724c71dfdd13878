/* The snapshot page's script: lays out the panels of the dashboard this page carries (the JSON in
 * #snapshot-data) as Grafana does, and draws each from its embedded snapshotData: time series with uPlot (and the
 * dashboard's annotations on them), stats, tables and text. Nothing is fetched. Everything in a snapshot is
 * untrusted, so it reaches the page only as text (textContent), attribute values and CSS custom properties, never
 * as HTML. */
(function () {
  "use strict";

  const COLUMNS = 24;
  const ROW_PIXELS = 38; // a grid row (30px) and the gap below it (8px): Grafana's unit for 2.x row heights
  const MAX_TABLE_ROWS = 1000;
  // Grafana's classic series colours.
  const PALETTE = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A9", "#705DA0",
    "#508642", "#CCA300", "#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477"];
  const NAMED_COLORS = {green: "#73BF69", red: "#F2495C", yellow: "#FADE2A", blue: "#5794F2", orange: "#FF9830",
    purple: "#B877D9", "dark-green": "#37872D", "dark-red": "#C4162A", "dark-yellow": "#E0B400",
    "dark-blue": "#1F60C4", "dark-orange": "#FA6400", "dark-purple": "#8F3BB8"};

  // --- small helpers -------------------------------------------------------------------------------------------

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function text(value) {
    return typeof value === "string" ? value : typeof value === "number" && isFinite(value) ? String(value) : "";
  }

  function list(value) {
    return Array.isArray(value) ? value : [];
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function withTestId(node, testId) {
    node.dataset.testid = testId;
    return node;
  }

  function integer(value, fallback, min, max) {
    const number = Number(value);
    return Number.isFinite(number) ? Math.min(max, Math.max(min, Math.round(number))) : fallback;
  }

  function toNumber(value) {
    if (typeof value === "number") return Number.isFinite(value) ? value : null;
    if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
    return null;
  }

  function toMilliseconds(value) {
    const number = toNumber(value);
    if (number !== null) return number;
    const parsed = typeof value === "string" ? Date.parse(value) : NaN;
    return Number.isFinite(parsed) ? parsed : null;
  }

  /** A colour given by the snapshot, if it is plainly one (hex, rgb[a]() or a Grafana name), else null. */
  function safeColor(value) {
    const color = text(value).trim();
    if (/^#[0-9a-f]{3,8}$/i.test(color) || /^rgba?\([\d\s.,%]+\)$/i.test(color)) return color;
    return NAMED_COLORS[color.toLowerCase()] || null;
  }

  function cssVariable(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // --- layout --------------------------------------------------------------------------------------------------

  function gridPos(panel) {
    const pos = isObject(panel.gridPos) ? panel.gridPos : {};
    const x = integer(pos.x, 0, 0, COLUMNS - 1);
    return {x, y: integer(pos.y, 0, 0, 1e6), w: integer(pos.w, 12, 1, COLUMNS - x), h: integer(pos.h, 8, 1, 1000)};
  }

  function byPosition(a, b) {
    return a.y - b.y || a.x - b.x;
  }

  /** Grafana's grid floats every panel up as far as the panels above it allow (react-grid-layout's vertical
   * compaction), so gaps in the saved positions do not show. */
  function compact(items) {
    const bottoms = new Array(COLUMNS).fill(0);
    for (const item of items.sort(byPosition)) {
      const columns = bottoms.slice(item.x, item.x + item.w);
      item.y = Math.max(...columns);
      bottoms.fill(item.y + item.h, item.x, item.x + item.w);
    }
    return items;
  }

  /** Panels with gridPos (Grafana 5+). A collapsed row keeps its panels inside it; they are shown opened, as
   * Grafana opens a row: right below it, pushing the panels after it down. */
  function layoutGrid(panels) {
    const placed = [];
    let pushedDown = 0;
    const items = panels.filter(isObject).map((panel) => Object.assign({panel}, gridPos(panel))).sort(byPosition);
    for (const item of items) {
      item.y += pushedDown;
      placed.push(item);
      const collapsedRow = item.panel.type === "row" && item.panel.collapsed;
      const inner = collapsedRow ? list(item.panel.panels).filter(isObject) : [];
      if (!inner.length) continue;
      const children = inner.map((panel) => Object.assign({panel}, gridPos(panel)));
      const shift = item.y + item.h - children[0].y;
      let bottom = item.y + item.h;
      for (const child of children) {
        child.y += shift;
        bottom = Math.max(bottom, child.y + child.h);
        placed.push(child);
      }
      pushedDown += bottom - (item.y + item.h);
    }
    return compact(placed);
  }

  function rowUnits(height, fallback) {
    const pixels = parseInt(text(height), 10);
    return pixels > 0 ? Math.ceil(pixels / ROW_PIXELS) : fallback;
  }

  /** Grafana 2.x-4.x rows: panels flow left to right, `span` of 12 columns each, and wrap. */
  function layoutRows(rows) {
    const placed = [];
    let y = 0;
    for (const row of rows.filter(isObject)) {
      const rowHeight = rowUnits(row.height, 7);
      if (row.showTitle && text(row.title)) {
        placed.push({panel: {type: "row", title: row.title}, x: 0, y, w: COLUMNS, h: 1});
        y += 1;
      }
      let x = 0;
      let lineHeight = 0;
      for (const panel of list(row.panels).filter(isObject)) {
        const w = integer(Math.floor(Number(panel.span) || 12) * 2, COLUMNS, 1, COLUMNS);
        const h = rowUnits(panel.height, rowHeight);
        if (x + w > COLUMNS) {
          y += lineHeight;
          x = 0;
          lineHeight = 0;
        }
        placed.push({panel, x, y, w, h});
        x += w;
        lineHeight = Math.max(lineHeight, h);
      }
      y += lineHeight;
    }
    return placed;
  }

  function layout(dashboard) {
    if (Array.isArray(dashboard.panels)) return layoutGrid(dashboard.panels);
    if (Array.isArray(dashboard.rows)) return layoutRows(dashboard.rows);
    return [];
  }

  function place(node, item) {
    node.style.setProperty("--x", item.x + 1);
    node.style.setProperty("--y", item.y + 1);
    node.style.setProperty("--w", item.w);
    node.style.setProperty("--h", item.h);
  }

  // --- data: snapshotData as frames of fields ------------------------------------------------------------------

  /** One entry of snapshotData as {name, fields: [{name, type, values, config, labels}]}: Grafana's old time series
   * ({target, datapoints}), old tables ({columns, rows}) and data frames (values in each field, or in data.values). */
  function toFrame(entry) {
    if (!isObject(entry)) return null;
    if (Array.isArray(entry.datapoints)) {
      const points = entry.datapoints.map((point) => (Array.isArray(point) ? point : []));
      return {name: text(entry.target), fields: [
        {name: "Time", type: "time", values: points.map((point) => point[1]), config: {}},
        {name: text(entry.target) || "Value", type: "number", values: points.map((point) => point[0]), config: {},
          displayName: text(entry.target)}]};
    }
    if (Array.isArray(entry.columns) && Array.isArray(entry.rows)) {
      const rows = entry.rows.map((row) => (Array.isArray(row) ? row : []));
      return {name: "", fields: entry.columns.map((column, index) => ({
        name: text(isObject(column) ? column.text : column), type: isObject(column) ? text(column.type) : "",
        values: rows.map((row) => row[index]), config: {}}))};
    }
    const schema = isObject(entry.schema) ? entry.schema : entry;
    const columns = isObject(entry.data) ? list(entry.data.values) : [];
    const fields = list(entry.fields).length ? entry.fields : list(schema.fields);
    return {name: text(entry.name) || text(schema.name), fields: fields.map((field, index) => isObject(field) && {
      name: text(field.name), type: text(field.type), config: isObject(field.config) ? field.config : {},
      labels: isObject(field.labels) ? field.labels : null,
      values: Array.isArray(field.values) ? field.values : list(columns[index])}).filter(Boolean)};
  }

  function framesOf(panel) {
    return list(panel.snapshotData).map(toFrame).filter((frame) => frame && frame.fields.length);
  }

  function isNumberField(field) {
    return field.type === "number" || (!field.type && field.values.some((value) => typeof value === "number"));
  }

  function fieldName(field, frame, numberFields) {
    const named = text(field.config.displayNameFromDS) || text(field.config.displayName) || field.displayName;
    if (named) return named;
    const labels = field.labels ? Object.keys(field.labels).map((key) => `${key}="${text(field.labels[key])}"`) : [];
    const base = field.name && field.name !== "Value" ? field.name : "";
    if (labels.length) return `${base}{${labels.join(", ")}}`;
    if (frame.name && (numberFields === 1 || !base)) return frame.name;
    return field.name || "Value";
  }

  /** Every number field of every frame that has a time field: [{name, times (ms), values}]. */
  function timeSeriesOf(panel) {
    const series = [];
    for (const frame of framesOf(panel)) {
      const time = frame.fields.find((field) => field.type === "time");
      if (!time) continue;
      const times = time.values.map(toMilliseconds);
      const numbers = frame.fields.filter((field) => field !== time && isNumberField(field));
      for (const field of numbers) {
        series.push({name: fieldName(field, frame, numbers.length), times, values: field.values.map(toNumber)});
      }
    }
    return series;
  }

  /** uPlot's data: one ascending x array (seconds) shared by all series, null where a series has no point. */
  function aligned(series) {
    const all = new Set();
    for (const one of series) one.times.forEach((time) => time !== null && all.add(time));
    const times = Float64Array.from(all).sort();
    const index = new Map();
    times.forEach((time, position) => index.set(time, position));
    const columns = series.map((one) => {
      const column = new Array(times.length).fill(null);
      one.times.forEach((time, position) => {
        if (time !== null) column[index.get(time)] = one.values[position] === undefined ? null : one.values[position];
      });
      return column;
    });
    return [Array.from(times, (time) => time / 1000), ...columns];
  }

  // --- values: reducers and units ------------------------------------------------------------------------------

  const REDUCERS = {
    lastNotNull: (values) => numbers(values).pop(),
    last: (values) => toNumber(values[values.length - 1]),
    firstNotNull: (values) => numbers(values)[0],
    first: (values) => toNumber(values[0]),
    mean: (values) => numbers(values).reduce((sum, value) => sum + value, 0) / numbers(values).length,
    sum: (values) => numbers(values).reduce((sum, value) => sum + value, 0),
    max: (values) => numbers(values).reduce((max, value) => Math.max(max, value)),
    min: (values) => numbers(values).reduce((min, value) => Math.min(min, value)),
    count: (values) => values.length,
    range: (values) => REDUCERS.max(values) - REDUCERS.min(values),
    diff: (values) => numbers(values).pop() - numbers(values)[0],
    delta: (values) => numbers(values).reduce((total, value, index, all) => {
      const step = index ? value - all[index - 1] : 0;
      return total + (step < 0 ? value : step); // a counter that restarted counts from zero
    }, 0),
  };
  // The old singlestat panel's valueName, in the stat panel's words.
  const SINGLESTAT_REDUCERS = {avg: "mean", current: "lastNotNull", total: "sum", first: "firstNotNull", min: "min",
    max: "max", delta: "delta", diff: "diff", range: "range"};

  function numbers(values) {
    return values.map(toNumber).filter((value) => value !== null);
  }

  function reduce(values, name) {
    if (!numbers(values).length && name !== "count") return null;
    const result = (REDUCERS[name] || REDUCERS.lastNotNull)(values);
    return Number.isFinite(result) ? result : null;
  }

  /** Grafana's decimals for a value when the panel sets none: about three significant digits. */
  function autoDecimals(value) {
    if (Number.isInteger(value)) return 0;
    return Math.min(20, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value)))));
  }

  /** value with the decimals the panel sets, else with autoDecimals less its trailing zeros (0.5, not 0.500). */
  function fixed(value, decimals) {
    return decimals === null ? String(Number(value.toFixed(autoDecimals(value)))) : value.toFixed(decimals);
  }

  /** value/step^n with the largest n that keeps it at or above 1, and that power's suffix. */
  function scaled(value, decimals, step, suffixes) {
    let power = 0;
    while (Math.abs(value) >= step && power < suffixes.length - 1) {
      value /= step;
      power += 1;
    }
    return fixed(value, decimals) + suffixes[power];
  }

  /** value in the first unit of steps ([name, how many make the next unit]) that keeps it below that count. */
  function stepped(value, decimals, steps) {
    let index = 0;
    while (index < steps.length - 1 && Math.abs(value) >= steps[index][1]) value /= steps[index++][1];
    return fixed(value, decimals) + steps[index][0];
  }

  // Grafana's steps: `s` counts weeks, `ms` goes from days straight to years.
  const SECOND_STEPS = [[" s", 60], [" min", 60], [" hour", 24], [" day", 7], [" week", 365 / 7], [" year", 0]];
  const MILLISECOND_STEPS = [[" s", 60], [" min", 60], [" hour", 24], [" day", 365], [" year", 0]];
  const SI = ["", " k", " M", " G", " T", " P"];

  function milliseconds(value, decimals) {
    if (Math.abs(value) < 1000) return fixed(value, decimals) + " ms";
    return stepped(value / 1000, decimals, MILLISECOND_STEPS);
  }

  function seconds(value, decimals) {
    return Math.abs(value) < 1 && value !== 0 ? milliseconds(value * 1000, decimals)
      : stepped(value, decimals, SECOND_STEPS);
  }

  const UNITS = {
    none: (value, decimals) => fixed(value, decimals),
    short: (value, decimals) => scaled(value, decimals, 1000, ["", " K", " Mil", " Bil", " Tri", " Quadr"]),
    percent: (value, decimals) => fixed(value, decimals) + "%",
    percentunit: (value, decimals) => fixed(value * 100, decimals) + "%",
    ns: (value, decimals) => (Math.abs(value) < 1e6 ? stepped(value, decimals, [[" ns", 1000], [" µs", 0]])
      : milliseconds(value / 1e6, decimals)),
    "µs": (value, decimals) => (Math.abs(value) < 1000 ? fixed(value, decimals) + " µs"
      : milliseconds(value / 1000, decimals)),
    ms: milliseconds,
    s: seconds,
    bytes: (value, decimals) => scaled(value, decimals, 1024, [" B", " KiB", " MiB", " GiB", " TiB", " PiB"]),
    decbytes: (value, decimals) => scaled(value, decimals, 1000, SI.map((prefix) => `${prefix || " "}B`)),
    bits: (value, decimals) => scaled(value, decimals, 1024, [" b", " Kib", " Mib", " Gib", " Tib", " Pib"]),
    bps: (value, decimals) => scaled(value, decimals, 1000, SI.map((prefix) => `${prefix || " "}bps`)),
    Bps: (value, decimals) => scaled(value, decimals, 1000, SI.map((prefix) => `${prefix || " "}B/s`)),
    reqps: (value, decimals) => fixed(value, decimals) + " req/s",
    ops: (value, decimals) => fixed(value, decimals) + " ops/s",
    celsius: (value, decimals) => fixed(value, decimals) + "°C",
  };
  UNITS.dtdurationms = UNITS.ms;
  UNITS.dtdurations = UNITS.s;

  /** value in Grafana's unit (its id, or `suffix:<text>` / `prefix:<text>`); unknown units read as none. */
  function formatValue(value, unit, decimals) {
    if (value === null || value === undefined) return "No data";
    if (unit.startsWith("suffix:")) return fixed(value, decimals) + " " + unit.slice(7);
    if (unit.startsWith("prefix:")) return unit.slice(7) + fixed(value, decimals);
    return (UNITS[unit] || UNITS.none)(value, decimals);
  }

  function decimalsOf(value) {
    const number = toNumber(value);
    return number === null ? null : integer(number, null, 0, 20);
  }

  /** The unit and decimals a panel sets: fieldConfig (Grafana 7+), else the old panels' own fields. */
  function unitOf(panel) {
    const fieldConfig = isObject(panel.fieldConfig) ? panel.fieldConfig : {};
    const defaults = isObject(fieldConfig.defaults) ? fieldConfig.defaults : {};
    const yAxis = isObject(list(panel.yaxes)[0]) ? panel.yaxes[0] : {};
    return {
      unit: text(defaults.unit) || text(panel.format) || text(yAxis.format) || "none",
      decimals: decimalsOf(defaults.decimals !== undefined ? defaults.decimals : panel.decimals),
      defaults,
    };
  }

  function formatTime(milliseconds, timeZone) {
    const date = new Date(milliseconds);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleString("sv-SE", timeZone ? {timeZone} : {}); // sv-SE: 2024-05-01 13:45:00
  }

  // --- panels --------------------------------------------------------------------------------------------------

  function message(content) {
    return element("p", "message", content);
  }

  function seriesColor(panel, name, position) {
    const aliasColors = isObject(panel.aliasColors) ? panel.aliasColors : {};
    let color = safeColor(aliasColors[name]);
    for (const override of list(isObject(panel.fieldConfig) ? panel.fieldConfig.overrides : [])) {
      const matcher = isObject(override) && isObject(override.matcher) ? override.matcher : {};
      if (matcher.id !== "byName" || matcher.options !== name) continue;
      for (const property of list(override.properties)) {
        if (isObject(property) && property.id === "color" && isObject(property.value)) {
          color = safeColor(property.value.fixedColor) || color;
        }
      }
    }
    return color || PALETTE[position % PALETTE.length];
  }

  // --- annotations: the events a snapshot keeps in dashboard.annotations.list[].snapshotData ----------------------

  const ANNOTATION_COLOR = "rgba(0, 211, 255, 1)"; // Grafana's colour for its built-in annotations

  function annotationText(event) {
    const tags = list(event.tags).map(text).filter(Boolean).join(", ");
    return [text(event.title), textOfHtml(text(event.text)), tags].filter(Boolean).join("\n");
  }

  /** The events of the dashboard's enabled annotation queries, as Grafana keeps them in a snapshot: each
   * {time, timeEnd (ms), text, color, panelId, query}; an event without a time is dropped. */
  function annotationsOf(dashboard) {
    const queries = isObject(dashboard.annotations) ? list(dashboard.annotations.list) : [];
    const events = [];
    for (const query of queries) {
      if (!isObject(query) || query.enable === false) continue;
      for (const event of list(query.snapshotData)) {
        const time = isObject(event) ? toMilliseconds(event.time) : null;
        if (time === null) continue;
        const end = toMilliseconds(event.timeEnd);
        events.push({time, timeEnd: end !== null && end > time ? end : time, text: annotationText(event),
          color: safeColor(event.color) || safeColor(query.iconColor) || ANNOTATION_COLOR,
          panelId: toNumber(event.panelId), query});
      }
    }
    return events;
  }

  /** Grafana's rule for which chart shows an event: a query's panel filter (`filter: {ids, exclude}`) first; then
   * an event of the dashboard's own annotations (type "dashboard") made on a panel shows on that panel alone. */
  function annotationsFor(panel, events) {
    const panelId = toNumber(panel.id);
    return events.filter((event) => {
      const filter = isObject(event.query.filter) ? event.query.filter : null;
      const listed = filter && Array.isArray(filter.ids) ? filter.ids.map(toNumber).includes(panelId) : null;
      if (listed !== null && listed === Boolean(filter.exclude)) return false;
      if (event.panelId && event.query.type === "dashboard") return event.panelId === panelId;
      return true;
    });
  }

  /** A uPlot plugin drawing events as Grafana does: a dashed line at each point, a shaded band over each region,
   * and a marker along the bottom of the plot whose tooltip holds the event's text. */
  function annotationPlugin(events) {
    const markers = events.map((event) => {
      const marker = withTestId(element("div", "annotation-marker"), "annotation");
      marker.title = event.text;
      marker.setAttribute("aria-label", event.text);
      marker.style.setProperty("--annotation-color", event.color);
      return marker;
    });
    function draw(chart) {
      const {ctx, bbox} = chart;
      const [plotLeft, plotRight] = [bbox.left, bbox.left + bbox.width];
      ctx.save();
      ctx.lineWidth = devicePixelRatio;
      ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
      events.forEach((event, index) => {
        const start = chart.valToPos(event.time / 1000, "x", true);
        const end = chart.valToPos(event.timeEnd / 1000, "x", true);
        const marker = markers[index];
        marker.hidden = end < plotLeft || start > plotRight;
        if (marker.hidden) return;
        const [left, right] = [Math.max(start, plotLeft), Math.min(end, plotRight)];
        ctx.strokeStyle = ctx.fillStyle = event.color;
        if (right > left) {
          ctx.globalAlpha = 0.15;
          ctx.fillRect(left, bbox.top, right - left, bbox.height);
          ctx.globalAlpha = 1;
        }
        for (const x of new Set([start, end])) {
          if (x < plotLeft || x > plotRight) continue;
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
        }
        marker.style.setProperty("--left", `${(left - plotLeft) / devicePixelRatio}px`);
        marker.style.setProperty("--width", `${(right - left) / devicePixelRatio}px`);
      });
      ctx.restore();
    }
    return {hooks: {init: (chart) => chart.over.append(...markers), draw}};
  }

  /** The y axis's width: its longest label, measured as uPlot draws it. */
  function axisSize(chart, values, axisIndex, cycle) {
    const axis = chart.axes[axisIndex];
    if (cycle > 1) return axis._size;
    let size = axis.ticks.size + axis.gap;
    const longest = (values || []).reduce((widest, value) => (value.length > widest.length ? value : widest), "");
    if (longest) {
      chart.ctx.font = axis.font[0];
      size += chart.ctx.measureText(longest).width / devicePixelRatio;
    }
    return Math.ceil(size);
  }

  function drawTimeSeries(panel, body, context) {
    const series = timeSeriesOf(panel);
    if (!series.length) {
      body.append(message("No data"));
      return;
    }
    const {unit, decimals} = unitOf(panel);
    const events = annotationsFor(panel, context.annotations);
    const chartBox = element("div", "chart");
    const legendBox = element("div", "legend");
    body.append(chartBox, legendBox);
    const axis = {stroke: context.axisColor, grid: {stroke: context.gridColor, width: 1},
      ticks: {stroke: context.gridColor, width: 1}};
    const options = {
      width: 100,
      height: 100,
      tzDate: context.tzDate,
      cursor: context.cursorSync ? {sync: {key: "snapshot"}} : {},
      legend: {mount: (chart, table) => legendBox.append(table)},
      scales: {x: {time: true}},
      plugins: events.length ? [annotationPlugin(events)] : [],
      series: [{label: "Time"}].concat(series.map((one, position) => ({
        label: one.name,
        stroke: seriesColor(panel, one.name, position),
        width: 1,
        value: (chart, value) => (value === null || value === undefined ? "--" : formatValue(value, unit, decimals)),
      }))),
      axes: [Object.assign({}, axis), Object.assign({}, axis, {
        size: axisSize,
        values: (chart, splits) => splits.map((value) => formatValue(value, unit, decimals)),
      })],
    };
    context.charts.push({chartBox, options, data: aligned(series)});
  }

  /** The charts go in once every panel has its place, each at its box's size, and follow that size. */
  function drawCharts(charts) {
    for (const chart of charts) chart.plot = new uPlot(chart.options, chart.data, chart.chartBox);
    const sizes = charts.map((chart) => [chart.chartBox.clientWidth, chart.chartBox.clientHeight]);
    charts.forEach((chart, index) => resize(chart.plot, sizes[index]));
    const plots = new Map(charts.map((chart) => [chart.chartBox, chart.plot]));
    const observer = new ResizeObserver((entries) => {
      for (const {target} of entries) resize(plots.get(target), [target.clientWidth, target.clientHeight]);
    });
    for (const chart of charts) observer.observe(chart.chartBox);
  }

  function resize(plot, [width, height]) {
    if (width > 0 && height > 0 && (plot.width !== width || plot.height !== height)) plot.setSize({width, height});
  }

  function firstNumberField(panel) {
    for (const frame of framesOf(panel)) {
      const field = frame.fields.find(isNumberField);
      if (field) return {field, name: fieldName(field, frame, 1)};
    }
    return null;
  }

  function drawStat(panel, body) {
    const options = isObject(panel.options) ? panel.options : {};
    const reduceOptions = isObject(options.reduceOptions) ? options.reduceOptions : {};
    const calculation = text(list(reduceOptions.calcs)[0]) || SINGLESTAT_REDUCERS[text(panel.valueName)]
      || "lastNotNull";
    const {unit, decimals, defaults} = unitOf(panel);
    const found = firstNumberField(panel);
    const value = found ? reduce(found.field.values, calculation) : null;
    const box = element("div", "stat");
    const shown = value === null ? "No data"
      : text(panel.prefix) + formatValue(value, unit, decimals) + text(panel.postfix);
    box.append(withTestId(element("div", "stat-value", shown), "stat-value"));
    if (found && list(panel.snapshotData).length > 1) box.append(element("div", "stat-name", found.name));
    if (panel.type === "gauge" && value !== null) {
      const meter = element("meter");
      meter.min = toNumber(defaults.min) !== null ? toNumber(defaults.min) : 0;
      meter.max = toNumber(defaults.max) !== null ? toNumber(defaults.max) : 100;
      meter.value = value;
      box.append(meter);
    }
    body.append(box);
  }

  function cellText(value, field, context) {
    if (value === null || value === undefined) return "";
    if (field.type === "time") return formatTime(toMilliseconds(value), context.timeZone);
    if (typeof value === "number") return field.unit ? formatValue(value, field.unit, field.decimals) : String(value);
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function drawTable(panel, body, context) {
    const frame = framesOf(panel)[0];
    if (!frame) {
      body.append(message("No data"));
      return;
    }
    const {unit, decimals} = unitOf(panel);
    const fields = frame.fields.map((field) => Object.assign({}, field, {
      unit: unit !== "none" && isNumberField(field) ? unit : "", decimals}));
    const rowCount = Math.max(...fields.map((field) => field.values.length));
    const table = element("table", "data-table");
    const headRow = table.createTHead().insertRow();
    for (const field of fields) headRow.append(element("th", "", fieldName(field, frame, fields.length)));
    const tbody = table.createTBody();
    for (let row = 0; row < Math.min(rowCount, MAX_TABLE_ROWS); row++) {
      const tr = tbody.insertRow();
      for (const field of fields) {
        const value = field.values[row];
        const numeric = typeof value === "number" && field.type !== "time";
        tr.append(element("td", numeric ? "number" : "", cellText(value, field, context)));
      }
    }
    const wrap = element("div", "table-wrap");
    wrap.append(table);
    body.append(wrap);
    if (rowCount > MAX_TABLE_ROWS) {
      body.append(element("p", "table-note", `The first ${MAX_TABLE_ROWS} of ${rowCount} rows.`));
    }
  }

  function drawText(panel, body) {
    const options = isObject(panel.options) ? panel.options : {};
    const content = text(options.content !== undefined ? options.content : panel.content);
    const mode = text(options.mode !== undefined ? options.mode : panel.mode) || "markdown";
    const box = withTestId(element("div", "text-content"), "text-content");
    if (mode === "markdown") {
      box.append(...markdown(content));
    } else {
      box.classList.add("plain");
      box.textContent = mode === "html" ? textOfHtml(content) : content;
    }
    body.append(box);
  }

  // An HTML text panel's markup is read here as a string and never given to the browser's HTML parser: since
  // Chromium 156 even an inert document (a parsed string, a template) checks each event-handler attribute it parses,
  // such as onerror, against the page's CSP. The reading is one pass, with no backtracking pattern that a hostile
  // snapshot could make slow.
  // Elements whose content a browser does not show as text (read to their end tag).
  const HIDDEN_ELEMENTS = new Set(["script", "style", "template", "title", "noscript", "iframe", "noembed",
    "noframes"]);
  // Tags that end a line of text (at their end tag; <br> where it stands).
  const LINE_ENDS = new Set(["br", "/p", "/div", "/li", "/tr", "/pre", "/blockquote", "/table", "/ul", "/ol",
    "/dl", "/dt", "/dd", "/h1", "/h2", "/h3", "/h4", "/h5", "/h6"]);
  const CHARACTER_REFERENCES = /&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,8}|[a-zA-Z][a-zA-Z0-9]{0,31});/g;
  const NAMED_CHARACTERS = {amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", copy: "\u00a9",
    reg: "\u00ae", trade: "\u2122", hellip: "\u2026", mdash: "\u2014", ndash: "\u2013", lsquo: "\u2018",
    rsquo: "\u2019", ldquo: "\u201c", rdquo: "\u201d", laquo: "\u00ab", raquo: "\u00bb", bull: "\u2022",
    middot: "\u00b7", deg: "\u00b0", plusmn: "\u00b1", times: "\u00d7", divide: "\u00f7", micro: "\u00b5",
    para: "\u00b6", sect: "\u00a7", euro: "\u20ac", pound: "\u00a3", yen: "\u00a5", cent: "\u00a2",
    larr: "\u2190", rarr: "\u2192", uarr: "\u2191", darr: "\u2193", harr: "\u2194", le: "\u2264", ge: "\u2265",
    ne: "\u2260", infin: "\u221e", check: "\u2713", shy: "\u00ad", ensp: "\u2002", emsp: "\u2003",
    thinsp: "\u2009"};

  /** A character reference's character; a named one we do not know stays as it is written. */
  function referencedCharacter(reference, name) {
    if (name[0] !== "#") return Object.hasOwn(NAMED_CHARACTERS, name) ? NAMED_CHARACTERS[name] : reference;
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    return valid ? String.fromCodePoint(code) : "\ufffd";
  }

  /** Where the tag opening at `start` ends (just past its ">"; quoted attribute values may hold ">"), or the
   * markup's length when it never does. */
  function tagEnd(html, start) {
    for (let at = start + 1; at < html.length; at++) {
      const character = html[at];
      if (character === ">") return at + 1;
      if (character === '"' || character === "'") {
        const closing = html.indexOf(character, at + 1);
        if (closing < 0) return html.length;
        at = closing;
      }
    }
    return html.length;
  }

  /** Just past the end tag of `name` at or after `from` (any case, as HTML reads it), or the markup's length. */
  function endTagEnd(html, name, from) {
    const endTag = new RegExp(`</${name}[\\s/>]`, "ig");
    endTag.lastIndex = from;
    const found = endTag.exec(html);
    return found ? tagEnd(html, found.index) : html.length;
  }

  /** The text an HTML text panel shows: its markup dropped, with what hidden elements (scripts, styles, ...)
   * hold; a line break for <br> and at the end of each block; its character references decoded. */
  function textOfHtml(html) {
    const pieces = [];
    const pushText = (text) => pieces.push(text.replace(CHARACTER_REFERENCES, referencedCharacter));
    let at = 0;
    while (at < html.length) {
      const open = html.indexOf("<", at);
      if (open < 0) {
        pushText(html.slice(at));
        break;
      }
      pushText(html.slice(at, open));
      const name = /^<(\/?[a-zA-Z][^\s/>]*)/.exec(html.slice(open, open + 64));
      if (html.startsWith("<!--", open)) {
        const close = html.indexOf("-->", open + 4);
        at = close < 0 ? html.length : close + 3;
      } else if (html[open + 1] === "!" || html[open + 1] === "?") {
        const close = html.indexOf(">", open);
        at = close < 0 ? html.length : close + 1;
      } else if (name) {
        const tag = name[1].toLowerCase();
        at = tagEnd(html, open);
        if (HIDDEN_ELEMENTS.has(tag)) at = endTagEnd(html, tag, at);
        if (LINE_ENDS.has(tag)) pieces.push("\n");
      } else {
        pieces.push("<");
        at = open + 1;
      }
    }
    return pieces.join("").replace(/\n{3,}/g, "\n\n").trim();
  }

  function drawUnsupported(panel, body) {
    const type = text(panel.type) || "(none)";
    body.append(withTestId(element("p", "unsupported", `panel type ${type} is not shown in snapshots`),
      "unsupported"));
  }

  const DRAW = {graph: drawTimeSeries, timeseries: drawTimeSeries, singlestat: drawStat, stat: drawStat,
    gauge: drawStat, table: drawTable, "table-old": drawTable, text: drawText};

  function drawPanel(item, container, context) {
    const panel = item.panel;
    if (panel.type === "row") {
      const title = element("h2", "row-title", text(panel.title));
      place(title, item);
      container.append(title);
      return;
    }
    const section = withTestId(element("section", "panel"), "panel");
    section.dataset.panelType = text(panel.type);
    place(section, item);
    const body = element("div", "panel-body");
    section.append(withTestId(element("h3", "panel-title", text(panel.title)), "panel-title"), body);
    container.append(section);
    try {
      (DRAW[panel.type] || drawUnsupported)(panel, body, context);
    } catch (error) {
      body.replaceChildren(message("This panel could not be drawn."));
      console.error(error);
    }
  }

  // --- Markdown: a safe subset, built as DOM nodes ------------------------------------------------------------

  const BLOCK_START = /^\s{0,3}(#{1,6}\s|```|~~~|>|[-*+]\s|\d{1,9}[.)]\s|([-*_])(\s*\2){2,}\s*$)/;
  const LIST_ITEM = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;

  function markdown(source) {
    const lines = source.replace(/\r\n?/g, "\n").split("\n");
    const blocks = [];
    let index = 0;
    while (index < lines.length) {
      const line = lines[index];
      let match;
      if (!line.trim()) {
        index += 1;
      } else if ((match = /^\s{0,3}(```|~~~)/.exec(line))) {
        const code = [];
        index += 1;
        while (index < lines.length && !lines[index].trimStart().startsWith(match[1])) code.push(lines[index++]);
        index += 1;
        const pre = element("pre");
        pre.append(element("code", "", code.join("\n")));
        blocks.push(pre);
      } else if ((match = /^\s{0,3}(#{1,6})\s+(.*?)(\s+#+)?\s*$/.exec(line))) {
        blocks.push(inline(element(`h${match[1].length}`), match[2]));
        index += 1;
      } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
        blocks.push(element("hr"));
        index += 1;
      } else if (/^\s{0,3}>/.test(line)) {
        const quoted = [];
        while (index < lines.length && /^\s{0,3}>/.test(lines[index])) {
          quoted.push(lines[index++].replace(/^\s{0,3}>\s?/, ""));
        }
        const quote = element("blockquote");
        quote.append(...markdown(quoted.join("\n")));
        blocks.push(quote);
      } else if ((match = LIST_ITEM.exec(line))) {
        const ordered = /\d/.test(match[1]);
        const listNode = element(ordered ? "ol" : "ul");
        if (ordered && parseInt(match[1], 10) !== 1) listNode.start = parseInt(match[1], 10);
        while (index < lines.length && (match = LIST_ITEM.exec(lines[index])) && /\d/.test(match[1]) === ordered) {
          const itemText = [match[2]];
          index += 1;
          while (index < lines.length && lines[index].trim() && !BLOCK_START.test(lines[index])) {
            itemText.push(lines[index++].trim());
          }
          listNode.append(inline(element("li"), itemText.join("\n")));
        }
        blocks.push(listNode);
      } else {
        const paragraph = [];
        while (index < lines.length && lines[index].trim() && (!paragraph.length || !BLOCK_START.test(lines[index]))) {
          paragraph.push(lines[index++]);
        }
        blocks.push(inline(element("p"), paragraph.join("\n")));
      }
    }
    return blocks;
  }

  // Escapes, code spans, bold, italics, links (images become links too), bare http(s) urls and hard line breaks.
  const INLINE = new RegExp([
    /\\(?<escaped>[\\`*_{}[\]()#+\-.!>~|])/,
    /(?<ticks>`+)(?<code>[^`]|[^`][\s\S]*?[^`])\k<ticks>(?!`)/,
    /\*\*(?<strong>\S(?:[\s\S]*?\S)?)\*\*(?!\*)/,
    /(?<!\w)__(?<strongUnderscore>\S(?:[\s\S]*?\S)?)__(?!\w)/,
    /\*(?<em>\S(?:[\s\S]*?\S)?)\*/,
    /(?<!\w)_(?<emUnderscore>\S(?:[\s\S]*?\S)?)_(?!\w)/,
    /!?\[(?<label>[^\]]*)\]\(\s*<?(?<url>[^\s<>()]*)>?(?:\s+"[^"]*")?\s*\)/,
    /<?(?<bareUrl>https?:\/\/[^\s<>]*[^\s<>.,:;"')\]!?])>?/,
    /(?<lineBreak> {2,}\n|\\\n)/,
  ].map((part) => part.source).join("|"), "g");

  function safeHref(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  /** A link that opens in a new tab, for http and https urls only (null for any other). */
  function link(label, url) {
    const href = safeHref(url);
    if (!href) return null;
    const anchor = element("a");
    anchor.href = href;
    anchor.rel = "noopener noreferrer nofollow";
    anchor.target = "_blank";
    return inline(anchor, label, true);
  }

  function inline(parent, source, inLink) {
    let last = 0;
    for (const match of source.matchAll(INLINE)) {
      const part = match.groups;
      parent.append(source.slice(last, match.index));
      last = match.index + match[0].length;
      if (part.escaped !== undefined) {
        parent.append(part.escaped);
      } else if (part.code !== undefined) {
        parent.append(element("code", "", part.code));
      } else if (part.strong !== undefined || part.strongUnderscore !== undefined) {
        parent.append(inline(element("strong"), part.strong || part.strongUnderscore, inLink));
      } else if (part.em !== undefined || part.emUnderscore !== undefined) {
        parent.append(inline(element("em"), part.em || part.emUnderscore, inLink));
      } else if (part.url !== undefined) {
        parent.append((!inLink && link(part.label || part.url, part.url)) || part.label || match[0]);
      } else if (part.bareUrl !== undefined) {
        parent.append((!inLink && link(part.bareUrl, part.bareUrl)) || match[0]);
      } else {
        parent.append(element("br"));
      }
    }
    parent.append(source.slice(last));
    return parent;
  }

  // --- the page ------------------------------------------------------------------------------------------------

  // The dashboard's own time zone; when it sets none, the viewer's preferred one (the server puts it on the data).
  function timeZoneOf(dashboard, preferred) {
    const zone = text(dashboard.timezone) || preferred;
    if (!zone || zone === "browser") return undefined;
    const name = zone === "utc" ? "Etc/UTC" : zone;
    try {
      new Intl.DateTimeFormat("en", {timeZone: name});
      return name;
    } catch (error) {
      return undefined;
    }
  }

  function render() {
    const element = document.getElementById("snapshot-data");
    const snapshot = JSON.parse(element.textContent);
    const dashboard = isObject(snapshot.dashboard) ? snapshot.dashboard : {};
    const timeZone = timeZoneOf(dashboard, element.dataset.preferredTimezone || "");
    const context = {
      charts: [],
      annotations: annotationsOf(dashboard),
      timeZone,
      tzDate: timeZone ? (seconds) => uPlot.tzDate(new Date(seconds * 1000), timeZone) : undefined,
      cursorSync: Number(dashboard.graphTooltip) > 0,
      axisColor: cssVariable("--axis"),
      gridColor: cssVariable("--grid"),
    };
    const container = document.getElementById("panels");
    const items = layout(dashboard);
    for (const item of items) drawPanel(item, container, context);
    if (!items.length) container.append(message("This dashboard has no panels."));
    drawCharts(context.charts);
  }

  try {
    render();
  } finally {
    document.body.dataset.rendered = "true";
  }
})();
