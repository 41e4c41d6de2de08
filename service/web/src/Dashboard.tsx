import Nodes from "./Nodes";
import Guests from "./Guests";
import Storage from "./Storage";
import Events from "./Events";
import { HistoryDialog } from "./historyDialog";

export default function Dashboard() {
  return (
    <div class="dashboard">
      <Nodes />
      <Guests />
      <div class="split">
        <Storage />
        <Events />
      </div>
      <HistoryDialog />
    </div>
  );
}
