// Liaison console: the route map of the operation board.
//
// For every element with class "route-map", reads the world map (TopoJSON,
// Natural Earth countries shipped in the binary: data-world) and the route
// of one subject (GeoJSON from the JSON API: data-geojson), and draws them
// with d3-geo: countries, the legs between sightings coloured by the
// organisation holding custody during each, and a point per sighting. The
// map pans and zooms with the mouse, the wheel or the keyboard (+, -, arrows).
// Nothing leaves the node: both files come from the console itself. The
// table beside each map holds the same facts for readers without script.
(function () {
  "use strict";
  if (!window.d3 || !window.topojson) {
    return;
  }
  var NS = "http://www.w3.org/2000/svg";
  var palette = ["#1b6ac9", "#c0392b", "#1e8449", "#8e44ad", "#d35400", "#117a65", "#7d6608"];

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error(url + ": " + r.status);
      }
      return r.json();
    });
  }

  function colourFor(orgs) {
    var seen = {};
    var n = 0;
    return function (org) {
      if (!org) {
        return "#7f8c8d";
      }
      if (!(org in seen)) {
        seen[org] = palette[n % palette.length];
        n++;
        orgs.push(org);
      }
      return seen[org];
    };
  }

  function draw(el, world, route) {
    var width = el.clientWidth || 800;
    var height = Math.round(width * 0.5);
    var svg = d3.select(el).append("svg")
      .attr("viewBox", "0 0 " + width + " " + height)
      .attr("width", "100%")
      .attr("class", "route-map-svg")
      .attr("focusable", "true")
      .attr("tabindex", "0");
    var countries = topojson.feature(world, world.objects.countries);
    var features = (route && route.features) || [];
    var projection = d3.geoNaturalEarth1();
    var located = { type: "FeatureCollection", features: features };
    if (features.length > 0) {
      projection.fitExtent([[24, 24], [width - 24, height - 24]], located);
      // A single point (or points close together) would zoom in to street
      // level: keep at least a country's worth of map around them.
      if (projection.scale() > width * 2.5) {
        projection.scale(width * 2.5);
      }
    } else {
      projection.fitSize([width, height], countries);
    }
    var path = d3.geoPath(projection);
    var g = svg.append("g");
    g.append("path").datum({ type: "Sphere" }).attr("class", "sphere").attr("d", path);
    g.append("g").attr("class", "countries").selectAll("path")
      .data(countries.features).enter().append("path").attr("d", path);

    var orgs = [];
    var colour = colourFor(orgs);
    var legs = features.filter(function (f) { return f.properties && f.properties.kind === "leg"; });
    var points = features.filter(function (f) { return f.properties && f.properties.kind === "sighting"; });
    g.append("g").attr("class", "legs").selectAll("path").data(legs).enter().append("path")
      .attr("d", path)
      .attr("stroke", function (f) { return colour(f.properties.custodian_ref); })
      .append("title").text(function (f) {
        var p = f.properties;
        return p.departed + " → " + p.arrived + (p.custodian_ref ? ", held by " + name(el, p.custodian_ref) : ", nobody held custody");
      });
    var dots = g.append("g").attr("class", "points").selectAll("circle").data(points).enter().append("circle")
      .attr("cx", function (f) { return projection(f.geometry.coordinates)[0]; })
      .attr("cy", function (f) { return projection(f.geometry.coordinates)[1]; })
      .attr("r", 5)
      .attr("fill", function (f) { return colour(f.properties.custodian_ref); });
    dots.append("title").text(function (f) {
      var p = f.properties;
      return (p.place || p.sighting_ref) + ", " + p.seen + (p.custodian_ref ? " — custody: " + name(el, p.custodian_ref) + (p.custodian_team ? " (" + p.custodian_team + ")" : "") : " — nobody held custody");
    });

    // Pan and zoom, by pointer and by keyboard.
    var zoom = d3.zoom().scaleExtent([1, 64]).on("zoom", function (event) {
      g.attr("transform", event.transform);
      dots.attr("r", 5 / event.transform.k);
    });
    svg.call(zoom);
    svg.on("keydown", function (event) {
      var step = 40;
      switch (event.key) {
        case "+": case "=": svg.call(zoom.scaleBy, 1.5); break;
        case "-": svg.call(zoom.scaleBy, 1 / 1.5); break;
        case "ArrowLeft": svg.call(zoom.translateBy, step, 0); break;
        case "ArrowRight": svg.call(zoom.translateBy, -step, 0); break;
        case "ArrowUp": svg.call(zoom.translateBy, 0, step); break;
        case "ArrowDown": svg.call(zoom.translateBy, 0, -step); break;
        default: return;
      }
      event.preventDefault();
    });

    // The legend: who held custody, by colour.
    if (orgs.length > 0) {
      var legend = document.createElement("ul");
      legend.className = "route-legend";
      orgs.forEach(function (org) {
        var li = document.createElement("li");
        var swatch = document.createElementNS(NS, "svg");
        swatch.setAttribute("width", "14");
        swatch.setAttribute("height", "14");
        swatch.setAttribute("aria-hidden", "true");
        var rect = document.createElementNS(NS, "rect");
        rect.setAttribute("width", "14");
        rect.setAttribute("height", "14");
        rect.setAttribute("fill", colour(org));
        swatch.appendChild(rect);
        li.appendChild(swatch);
        li.appendChild(document.createTextNode(" " + name(el, org)));
        legend.appendChild(li);
      });
      el.appendChild(legend);
    }
    el.setAttribute("data-drawn", String(points.length));
  }

  // name gives an organisation's name from the board's table of names, or
  // its id.
  function name(el, id) {
    var names = document.getElementById("org-names");
    if (names) {
      var row = names.querySelector('[data-org="' + CSS.escape(id) + '"]');
      if (row) {
        return row.textContent.trim();
      }
    }
    return id;
  }

  function start() {
    var maps = document.querySelectorAll(".route-map[data-geojson]");
    if (maps.length === 0) {
      return;
    }
    var worldURL = maps[0].getAttribute("data-world");
    if (!worldURL) {
      return;
    }
    getJSON(worldURL).then(function (world) {
      maps.forEach(function (el) {
        getJSON(el.getAttribute("data-geojson")).then(function (route) {
          draw(el, world, route);
        }).catch(function (err) {
          el.setAttribute("data-error", String(err));
        });
      });
    }).catch(function (err) {
      maps.forEach(function (el) { el.setAttribute("data-error", String(err)); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
