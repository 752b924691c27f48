// Liaison console: the link graph of the operation board.
//
// For every element with class "link-graph", reads the operation's graph
// from the console's JSON API (data-source: nodes with an id, a kind, a
// group and a label; edges with a source, a target and a kind) and draws it
// with the vendored cytoscape in rings: the operation at the centre, then
// its subjects and consignments, then their selectors and the organisations
// holding the objects that name them, those objects outermost; coloured by
// group through cytoscape's own style (the console's Content-Security-Policy
// allows no inline style; the page's stylesheet link carries the id
// cytoscape looks for, so it adds none). The graph pans and zooms with the
// mouse and, once focused, with the keyboard (arrows, + and -, 0 to fit it
// again). The table below the graph lists the same links for readers
// without script.
(function () {
  "use strict";
  if (!window.cytoscape) {
    return;
  }

  // One colour and shape per group; the legend says which is which.
  var groups = [
    { group: "operation", name: "operation", colour: "#1d3557", shape: "round-rectangle" },
    { group: "subject", name: "subject", colour: "#c0392b", shape: "ellipse" },
    { group: "consignment", name: "consignment", colour: "#d35400", shape: "round-rectangle" },
    { group: "selector", name: "selector", colour: "#1b6ac9", shape: "diamond" },
    { group: "object", name: "object naming a subject", colour: "#7f8c8d", shape: "ellipse" },
    { group: "organisation", name: "organisation holding it", colour: "#1e8449", shape: "hexagon" },
  ];
  var rings = { operation: 4, subject: 3, consignment: 3, selector: 2, organisation: 2, object: 1 };
  var NS = "http://www.w3.org/2000/svg";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error(url + ": " + r.status);
      }
      return r.json();
    });
  }

  function style() {
    var rules = [
      {
        selector: "node",
        style: {
          label: "data(label)",
          "font-size": 10,
          "font-family": "system-ui, sans-serif",
          color: "#1f2933",
          "text-valign": "bottom",
          "text-margin-y": 4,
          "text-wrap": "ellipsis",
          "text-max-width": "130px",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.8,
          "text-background-padding": "1px",
          width: 22,
          height: 22,
          "border-width": 1,
          "border-color": "#ffffff",
        },
      },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "line-color": "#aab4be",
          "target-arrow-color": "#aab4be",
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.8,
          "curve-style": "bezier",
        },
      },
      { selector: 'edge[kind = "holds"]', style: { "line-style": "dashed" } },
      { selector: 'edge[kind = "selector"]', style: { "line-color": "#1b6ac9", "target-arrow-color": "#1b6ac9" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#f0a500" } },
    ];
    groups.forEach(function (g) {
      rules.push({ selector: 'node[group = "' + g.group + '"]', style: { "background-color": g.colour, shape: g.shape } });
    });
    rules.push({ selector: 'node[group = "operation"]', style: { width: 34, height: 34, "font-weight": "bold" } });
    rules.push({ selector: 'node[group = "subject"], node[group = "consignment"]', style: { width: 30, height: 30, "font-weight": "bold" } });
    return rules;
  }

  function elements(graph) {
    var out = [];
    var known = {};
    (graph.nodes || []).forEach(function (n) {
      known[n.id] = true;
      out.push({ group: "nodes", data: { id: n.id, kind: n.kind, group: n.group || "object", label: n.label } });
    });
    (graph.edges || []).forEach(function (e, i) {
      if (known[e.source] && known[e.target]) {
        out.push({ group: "edges", data: { id: "edge-" + i, source: e.source, target: e.target, kind: e.kind } });
      }
    });
    return out;
  }

  function legend(el) {
    var list = document.createElement("ul");
    list.className = "graph-legend";
    groups.forEach(function (g) {
      var li = document.createElement("li");
      var swatch = document.createElementNS(NS, "svg");
      swatch.setAttribute("width", "14");
      swatch.setAttribute("height", "14");
      swatch.setAttribute("aria-hidden", "true");
      var circle = document.createElementNS(NS, "circle");
      circle.setAttribute("cx", "7");
      circle.setAttribute("cy", "7");
      circle.setAttribute("r", "6");
      circle.setAttribute("fill", g.colour);
      swatch.appendChild(circle);
      li.appendChild(swatch);
      li.appendChild(document.createTextNode(" " + g.name));
      list.appendChild(li);
    });
    el.parentNode.insertBefore(list, el.nextSibling);
  }

  function draw(el, graph) {
    el.classList.add("link-graph-drawn"); // gives it its height (console.css)
    el.setAttribute("tabindex", "0");
    var cy = cytoscape({
      container: el,
      elements: elements(graph),
      style: style(),
      // Rings: the operation at the centre, what it follows, then the
      // selectors and the organisations, the objects outermost.
      layout: {
        name: "concentric",
        concentric: function (node) { return rings[node.data("group")] || 1; },
        levelWidth: function () { return 1; },
        minNodeSpacing: 28,
        avoidOverlap: true,
        padding: 24,
        animate: false,
      },
      minZoom: 0.2,
      maxZoom: 4,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
    });

    // Pan and zoom by keyboard, as the route map does.
    el.addEventListener("keydown", function (event) {
      var step = 40;
      var centre = { x: el.clientWidth / 2, y: el.clientHeight / 2 };
      switch (event.key) {
        case "+": case "=": cy.zoom({ level: cy.zoom() * 1.25, renderedPosition: centre }); break;
        case "-": cy.zoom({ level: cy.zoom() / 1.25, renderedPosition: centre }); break;
        case "0": cy.fit(undefined, 24); break;
        case "ArrowLeft": cy.panBy({ x: step, y: 0 }); break;
        case "ArrowRight": cy.panBy({ x: -step, y: 0 }); break;
        case "ArrowUp": cy.panBy({ x: 0, y: step }); break;
        case "ArrowDown": cy.panBy({ x: 0, y: -step }); break;
        default: return;
      }
      event.preventDefault();
    });
    legend(el);
    el.setAttribute("data-drawn", String(cy.nodes().length));
  }

  function start() {
    document.querySelectorAll(".link-graph[data-source]").forEach(function (el) {
      getJSON(el.getAttribute("data-source")).then(function (graph) {
        draw(el, graph);
      }).catch(function (err) {
        el.setAttribute("data-error", String(err));
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
