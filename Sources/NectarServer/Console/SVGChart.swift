import Foundation
import Reconciler

/// Bar charts as SVG drawn by the server: no script, no external file; a
/// title and a text description for screen readers, and each bar's value
/// in its own `<title>`.
enum SVGChart {
    struct Bar {
        var label: String
        var value: Double
        /// A second series drawn beside the first (handoffs beside messages).
        var second: Double?
    }

    static func bars(id: String, title: String, description: String, bars: [Bar], legend: (String, String?)? = nil) -> String {
        let width = 640.0, height = 220.0, left = 44.0, bottom = 36.0, marginTop = 24.0
        let plotWidth = width - left - 8, plotHeight = height - bottom - marginTop
        let top = bars.map { max($0.value, $0.second ?? 0) }.max() ?? 0
        let scale = top > 0 ? plotHeight / niceCeiling(top) : 0
        let slot = bars.isEmpty ? plotWidth : plotWidth / Double(bars.count)
        let barWidth = max(1, slot * (bars.contains { $0.second != nil } ? 0.4 : 0.7))
        var svg = """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-labelledby="\(id)-title \(id)-desc" \
            xmlns="http://www.w3.org/2000/svg"><title id="\(id)-title">\(escape(title))</title><desc id="\(id)-desc">\(escape(description))</desc>
            <text x="0" y="14" font-weight="700">\(escape(title))</text>
            <line class="axis" x1="\(left)" y1="\(height - bottom)" x2="\(width - 8)" y2="\(height - bottom)"/>
            <line class="axis" x1="\(left)" y1="\(marginTop)" x2="\(left)" y2="\(height - bottom)"/>
            <text x="\(left - 4)" y="\(marginTop + 10)" text-anchor="end">\(format(niceCeiling(top)))</text>
            <text x="\(left - 4)" y="\(height - bottom)" text-anchor="end">0</text>
            """
        let every = max(1, Int((Double(bars.count) / 8).rounded(.up)))
        for (index, bar) in bars.enumerated() {
            let x = left + Double(index) * slot + (slot - barWidth * (bar.second == nil ? 1 : 2)) / 2
            let h = bar.value * scale
            svg += #"<rect class="bar" x="\#(round(x))" y="\#(round(height - bottom - h))" width="\#(round(barWidth))" height="\#(round(h))"><title>\#(escape(bar.label)): \#(format(bar.value))</title></rect>"#
            if let second = bar.second {
                let h2 = second * scale
                svg += #"<rect class="bar2" x="\#(round(x + barWidth))" y="\#(round(height - bottom - h2))" width="\#(round(barWidth))" height="\#(round(h2))"><title>\#(escape(bar.label)): \#(format(second))</title></rect>"#
            }
            if index % every == 0 {
                svg += #"<text x="\#(round(left + Double(index) * slot + slot / 2))" y="\#(height - bottom + 14)" text-anchor="middle">\#(escape(bar.label))</text>"#
            }
        }
        if let (first, second) = legend {
            svg += #"<rect class="bar" x="\#(width - 200)" y="4" width="10" height="10"/><text x="\#(width - 186)" y="13">\#(escape(first))</text>"#
            if let second {
                svg += #"<rect class="bar2" x="\#(width - 110)" y="4" width="10" height="10"/><text x="\#(width - 96)" y="13">\#(escape(second))</text>"#
            }
        }
        return svg + "</svg>"
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, (log10(value)).rounded(.down))
        for step in [1.0, 2, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    static func round(_ value: Double) -> String { String(format: "%.1f", value) }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.2f", value)
    }

    static func escape(_ text: String) -> String { XMLText.escape(text) }
}
