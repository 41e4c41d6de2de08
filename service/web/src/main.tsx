import { render } from "solid-js/web";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import App from "./App";

render(() => <App />, document.getElementById("root")!);
