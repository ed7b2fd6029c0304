// Writes golden VWAP values with the npm package technicalindicators
// (TA-Lib has no VWAP). Usage: node vwap.js DATA.csv OUTDIR
// vwap_0.csv: VWAP since the first bar; vwap_20.csv: VWAP of each 20-bar
// window, each window given to technicalindicators on its own.
const fs = require('fs');
const { VWAP } = require('technicalindicators');
const [data, outdir] = process.argv.slice(2);
const rows = fs.readFileSync(data, 'utf8').trim().split('\n').slice(1).map(l => l.split(',').map(Number));
const col = (rs, j) => rs.map(r => r[j]);
const input = rs => ({ high: col(rs, 1), low: col(rs, 2), close: col(rs, 3), volume: col(rs, 4) });
const fmt = x => x.toPrecision(13);
const all = VWAP.calculate(input(rows));
fs.writeFileSync(`${outdir}/vwap_0.csv`, 'bar,value\n' + all.map((v, i) => `${i},${fmt(v)}`).join('\n') + '\n');
const w = 20;
let out = 'bar,value\n';
for (let i = w - 1; i < rows.length; i++) {
  const v = VWAP.calculate(input(rows.slice(i - w + 1, i + 1)));
  out += `${i},${fmt(v[v.length - 1])}\n`;
}
fs.writeFileSync(`${outdir}/vwap_20.csv`, out);
