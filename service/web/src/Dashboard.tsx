import Nodes from "./Nodes";
import Guests from "./Guests";
import Storage from "./Storage";
import Events from "./Events";

export default function Dashboard() {
  return (
    <div class="dashboard">
      <Nodes />
      <Guests />
      <div class="split">
        <Storage />
        <Events />
      </div>
    </div>
  );
}
